#include "verdict/model/random_model.h"

#include <cmath>
#include <random>

#include "verdict/common/file_util.h"
#include "verdict/model/config.h"
#include "verdict/model/tensor_names.h"

namespace verdict::model {
namespace {

// Copies keep the owner's write bit, so a later run can overwrite files copied from a
// read-only source (such as the shared test data).
Status copy_writable(const std::filesystem::path& from, const std::filesystem::path& to) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::remove(to, ec);
  fs::copy_file(from, to, ec);
  if (!ec) fs::permissions(to, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::add, ec);
  if (ec) return make_error(ErrorCode::kInternal, to.string() + ": " + ec.message());
  return {};
}

}  // namespace

Status write_random_model(const std::filesystem::path& config_path, const std::filesystem::path& out_dir,
                          uint64_t seed, DType dtype) {
  auto text = read_file(config_path, 16u << 20);
  if (!text.ok()) return text.error();
  auto config = parse_config(*text, config_path.string());
  if (!config.ok()) return config.error();

  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return make_error(ErrorCode::kInvalidArgument, out_dir.string() + ": " + ec.message());
  const auto src_dir = config_path.parent_path();
  for (const char* f : {"vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                        "vocab.json", "merges.txt", "sentencepiece.bpe.model"}) {
    if (std::filesystem::exists(src_dir / f)) {
      if (auto st = copy_writable(src_dir / f, out_dir / f); !st.ok()) return st;
    }
  }
  if (auto st = copy_writable(config_path, out_dir / "config.json"); !st.ok()) return st;

  std::mt19937_64 rng(seed);
  const auto specs = tensor_specs(*config);
  std::vector<std::vector<float>> data(specs.size());
  std::vector<TensorToWrite> tensors;
  for (size_t i = 0; i < specs.size(); ++i) {
    const auto& s = specs[i];
    size_t n = 1;
    for (size_t d : s.shape) n *= d;
    float mean = 0, stddev = 1;
    switch (s.role) {
      case TensorRole::kEmbedding: break;
      case TensorRole::kNormWeight: mean = 1.f; stddev = 0.2f; break;
      case TensorRole::kNormBias: stddev = 0.2f; break;
      case TensorRole::kBias: stddev = s.classifier ? 0.f : 0.1f; break;
      case TensorRole::kWeight: stddev = s.gain / std::sqrt(static_cast<float>(s.shape[1])); break;
    }
    std::normal_distribution<float> dist(mean, stddev > 0 ? stddev : 1.f);
    data[i].resize(n);
    for (auto& v : data[i]) v = stddev > 0 ? dist(rng) : 0.f;
    tensors.push_back({s.name, s.shape, data[i].data()});
  }
  return write_safetensors(out_dir / "model.safetensors", tensors, dtype, {{"format", "pt"}});
}

}  // namespace verdict::model
