// Writes checkpoints the way torch.save does (pickle protocol 2, both container formats), so
// tests can build valid and hostile pytorch_model.bin files byte by byte, and the fuzzer can
// make small seeds. Test support only: Verdict itself never writes this format.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace verdict::testing {

// Pickle opcodes by hand; each method appends one opcode with its argument.
class PickleWriter {
 public:
  PickleWriter& proto() { return raw("\x80\x02"); }
  PickleWriter& op(char c) { bytes_.push_back(c); return *this; }
  PickleWriter& raw(const std::string& s) { bytes_ += s; return *this; }
  PickleWriter& str(const std::string& s);       // BINUNICODE
  PickleWriter& integer(int64_t v);              // BININT1/2/BININT/LONG1
  PickleWriter& global(const std::string& module, const std::string& name);  // GLOBAL
  PickleWriter& put(uint32_t i);                 // BINPUT / LONG_BINPUT
  PickleWriter& get(uint32_t i);                 // BINGET / LONG_BINGET
  PickleWriter& stop() { return op('.'); }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

struct TorchTensorSpec {
  std::string name;
  std::string storage_type = "FloatStorage";
  std::string key;           // storage key; tensors naming the same key share the storage
  uint64_t storage_numel = 0;
  uint64_t offset = 0;
  std::vector<int64_t> shape, stride;
};

// The data pickle of a state dict (an OrderedDict with _metadata, as nn.Module.state_dict()).
// `legacy`: persistent ids with the legacy format's 6th item (view metadata = None).
std::string torch_state_dict_pickle(const std::vector<TorchTensorSpec>& tensors, bool legacy);

// Legacy stream: magic, protocol 1001, sys_info, `data_pickle`, the key list, then each storage
// as an int64 element count and its bytes.
struct LegacyStorage {
  std::string key;
  uint64_t count;
  std::string bytes;
};
std::string torch_legacy_file(const std::string& data_pickle, const std::vector<LegacyStorage>& storages);

// A stored (uncompressed) zip archive of the given records, in order.
std::string zip_archive(const std::vector<std::pair<std::string, std::string>>& records);

// torch >= 1.6 layout: archive/data.pkl, archive/data/<key>, archive/version.
std::string torch_zip_file(const std::string& data_pickle,
                           const std::vector<std::pair<std::string, std::string>>& storages,
                           const std::string& archive = "archive");

}  // namespace verdict::testing
