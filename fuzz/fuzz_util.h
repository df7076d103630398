// Shared by the fuzz targets: where the golden data is, failing loudly, and a file in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace verdict::fuzz {

// The golden data: $VERDICT_TESTDATA, else the VERDICT_TESTDATA CMake was configured with.
std::filesystem::path testdata_dir();

// A model folder: $`env_var` when set, else testdata_dir()/models/`default_name`.
std::filesystem::path model_dir(const char* env_var, const char* default_name);

// Reports a broken invariant and aborts, so libFuzzer saves the input as a crash.
[[noreturn]] void fail(const std::string& what);

inline std::string to_text(std::string_view s) { return std::string(s); }
inline std::string to_text(size_t n) { return std::to_string(n); }
// fail() with the parts joined, built only when `ok` is false (checks run on every input).
template <class... Parts>
void check(bool ok, const Parts&... parts) {
  if (!ok) fail((std::string() + ... + to_text(parts)));
}

// A memfd (anonymous file in memory) for APIs that map or read a path: write() replaces its
// contents and path() names it (/proc/self/fd/N), so no input ever touches the disk.
class MemFile {
 public:
  MemFile();
  ~MemFile();
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;

  void write(const uint8_t* data, size_t size);
  const std::filesystem::path& path() const { return path_; }

 private:
  int fd_ = -1;
  std::filesystem::path path_;
};

// A tiny DistilBERT config.json that fuzz_safetensors loads weights against; make_seeds writes a
// valid model.safetensors for it, so the fuzzer starts from a file WeightStore accepts.
inline constexpr std::string_view kTinyConfigJson = R"({
  "model_type": "distilbert", "architectures": ["DistilBertForSequenceClassification"],
  "vocab_size": 5, "dim": 4, "n_heads": 2, "n_layers": 1, "hidden_dim": 6,
  "max_position_embeddings": 3, "id2label": {"0": "NEGATIVE", "1": "POSITIVE"}
})";

}  // namespace verdict::fuzz
