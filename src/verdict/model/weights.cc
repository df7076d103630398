#include "verdict/model/weights.h"

#include <cstring>

#include "verdict/model/tensor_names.h"

namespace verdict::model {
namespace {

std::string shape_string(const std::vector<size_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

bool WeightStore::find_raw(const std::string& name, RawTensor* out) {
  if (torch_) {
    const TorchTensor* t = torch_->find(name);
    if (!t) return false;
    *out = RawTensor{t->dtype, t->shape, torch_->data(*t)};
    return true;
  }
  const TensorInfo* info = file_.find(name);
  if (!info) return false;
  *out = RawTensor{info->dtype, info->shape, file_.data(*info)};
  return true;
}

Result<const float*> WeightStore::tensor(const std::string& name, std::vector<size_t> shape) {
  RawTensor raw;
  bool found_any = find_raw(name, &raw);
  std::string found = name;
  // Checkpoints of the bare encoder omit the "bert."/"distilbert."/"roberta." prefix; old TF-converted
  // ones call LayerNorm parameters gamma/beta. transformers accepts both, so do we.
  auto try_alias = [&](const std::string& alias) {
    if (!found_any && (found_any = find_raw(alias, &raw))) found = alias;
  };
  for (const char* prefix : {"distilbert.", "bert.", "roberta."}) {
    if (name.rfind(prefix, 0) == 0) try_alias(name.substr(std::strlen(prefix)));
  }
  for (const auto& [from, to] : {std::pair{"LayerNorm.weight", "LayerNorm.gamma"},
                                 std::pair{"LayerNorm.bias", "LayerNorm.beta"}}) {
    const auto pos = name.rfind(from);
    if (pos != std::string::npos && pos + std::strlen(from) == name.size()) {
      try_alias(name.substr(0, pos) + to);
    }
  }
  if (!found_any) {
    return make_error(ErrorCode::kCorruptModel,
                      source_ + ": tensor '" + name + "' is missing (needed by " +
                          std::string(architecture_name(config_.architecture)) + ")");
  }
  const RawTensor* info = &raw;
  if (info->shape != shape) {
    return make_error(ErrorCode::kCorruptModel, source_ + ": tensor '" + found + "' has shape " +
                                                    shape_string(info->shape) +
                                                    ", config.json implies " + shape_string(shape));
  }
  size_t n = 1;
  for (size_t d : info->shape) n *= d;
  parameters_ += n;
  const std::string dname(dtype_name(info->dtype));
  if (stored_dtype_.empty()) stored_dtype_ = dname;
  else if (stored_dtype_ != dname) stored_dtype_ = "mixed";

  const unsigned char* bytes = info->data;
  if (info->dtype == DType::kF32 && reinterpret_cast<uintptr_t>(bytes) % alignof(float) == 0) {
    return reinterpret_cast<const float*>(bytes);
  }
  if (info->dtype != DType::kF32 && info->dtype != DType::kF16 && info->dtype != DType::kBF16) {
    return make_error(ErrorCode::kUnsupported, source_ + ": tensor '" + found + "' has dtype " +
                                                   dname + "; supported: F32, F16, BF16");
  }
  auto buf = std::make_unique<float[]>(n);
  if (info->dtype == DType::kF32) {
    std::memcpy(buf.get(), bytes, n * sizeof(float));  // unaligned data section
  } else {
    for (size_t i = 0; i < n; ++i) {
      uint16_t v;
      std::memcpy(&v, bytes + 2 * i, 2);
      buf[i] = info->dtype == DType::kF16 ? half_to_float(v) : bf16_to_float(v);
    }
  }
  owned_.push_back(std::move(buf));
  return static_cast<const float*>(owned_.back().get());
}

Result<LinearWeights> WeightStore::linear(const std::string& prefix, size_t out, size_t in) {
  auto w = tensor(prefix + ".weight", {out, in});
  if (!w.ok()) return w.error();
  auto b = tensor(prefix + ".bias", {out});
  if (!b.ok()) return b.error();
  return LinearWeights{*w, *b};
}

Result<LayerNormWeights> WeightStore::layer_norm(const std::string& prefix, size_t dim) {
  auto g = tensor(prefix + ".weight", {dim});
  if (!g.ok()) return g.error();
  auto b = tensor(prefix + ".bias", {dim});
  if (!b.ok()) return b.error();
  return LayerNormWeights{*g, *b};
}

Result<std::unique_ptr<WeightStore>> WeightStore::load(const std::filesystem::path& path,
                                                       const ModelConfig& config) {
  auto store = std::unique_ptr<WeightStore>(new WeightStore());
  store->source_ = path.string();
  if (path.extension() == ".safetensors") {
    auto file = SafetensorsFile::open(path);
    if (!file.ok()) return file.error();
    store->file_ = std::move(*file);
  } else {
    auto ckpt = TorchCheckpoint::open(path);
    if (!ckpt.ok()) return ckpt.error();
    store->torch_ = std::move(*ckpt);
  }
  store->config_ = config;
  const TensorNames& n = tensor_names(config.architecture);
  const size_t D = config.hidden_size, F = config.intermediate_size;
  ModelWeights& w = store->weights_;

#define VERDICT_TAKE(dst, expr)     \
  do {                              \
    auto r_ = (expr);               \
    if (!r_.ok()) return r_.error(); \
    dst = *r_;                      \
  } while (0)

  VERDICT_TAKE(w.word_embeddings, store->tensor(n.embeddings + "word_embeddings.weight", {config.vocab_size, D}));
  VERDICT_TAKE(w.position_embeddings,
               store->tensor(n.embeddings + "position_embeddings.weight", {config.max_position_embeddings, D}));
  if (config.type_vocab_size > 0) {
    VERDICT_TAKE(w.token_type_embeddings,
                 store->tensor(n.embeddings + "token_type_embeddings.weight", {config.type_vocab_size, D}));
  }
  VERDICT_TAKE(w.embedding_norm, store->layer_norm(n.embeddings + "LayerNorm", D));
  w.layers.resize(config.num_layers);
  for (size_t i = 0; i < config.num_layers; ++i) {
    const std::string p = n.layer + std::to_string(i) + ".";
    auto& l = w.layers[i];
    VERDICT_TAKE(l.query, store->linear(p + n.query, D, D));
    VERDICT_TAKE(l.key, store->linear(p + n.key, D, D));
    VERDICT_TAKE(l.value, store->linear(p + n.value, D, D));
    VERDICT_TAKE(l.attention_output, store->linear(p + n.attention_output, D, D));
    VERDICT_TAKE(l.attention_norm, store->layer_norm(p + n.attention_norm, D));
    VERDICT_TAKE(l.ffn_in, store->linear(p + n.ffn_in, F, D));
    VERDICT_TAKE(l.ffn_out, store->linear(p + n.ffn_out, D, F));
    VERDICT_TAKE(l.output_norm, store->layer_norm(p + n.output_norm, D));
  }
  VERDICT_TAKE(w.pre_head, store->linear(n.pre_head, D, D));
  VERDICT_TAKE(w.classifier, store->linear(n.classifier, config.num_labels(), D));
#undef VERDICT_TAKE
  return store;
}

void WeightStore::release(const float* p, size_t floats) const {
  if (!torch_) file_.drop_pages(p, floats * sizeof(float));
}

}  // namespace verdict::model
