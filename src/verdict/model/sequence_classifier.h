// A BERT-family encoder with its sequence-classification head: ids in, logits out.
// DistilBERT and BERT share this code; their differences are data (names, token types, head).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/common/huge_pages.h"
#include "verdict/kernels/attention.h"
#include "verdict/kernels/linear.h"
#include "verdict/model/batch.h"
#include "verdict/model/config.h"
#include "verdict/model/weights.h"

namespace verdict::model {

struct ModelOptions {
  // Precision of the encoder's linear layers; embeddings, LayerNorm, attention and the
  // classification head stay f32. kF32 gives the pipeline's answers (golden tolerance).
  kernels::Precision precision = kernels::Precision::kF32;
};

// "fp32" | "bf16" | "int8" | "auto". auto: the fastest precision whose labels agree with fp32's
// on >= 99.5% of texts as measured by `verdict dev accuracy` on the full-size random model and
// the golden models. So far that is fp32 itself: int8 agrees on 95% of 3000 reviews (PyTorch's
// dynamic int8: 93%), because random deep models flip labels under any 8-bit noise (1% noise on
// one projection alone flips 2-3%); bf16 is unmeasured (no bf16 CPU here). Choose int8
// explicitly after measuring your model.
Result<kernels::Precision> parse_dtype(std::string_view name);

class SequenceClassifier {
 public:
  // Reads config.json and model.safetensors (else pytorch_model.bin) of a model folder and
  // validates both.
  // kUnsupported when options ask for a precision this CPU cannot run.
  static Result<std::unique_ptr<SequenceClassifier>> load(const std::filesystem::path& model_dir,
                                                          const ModelOptions& options = {});
  static Result<std::unique_ptr<SequenceClassifier>> create(ModelConfig config,
                                                            std::unique_ptr<WeightStore> weights,
                                                            const ModelOptions& options = {});

  const ModelConfig& config() const { return config_; }
  const WeightStore& weights() const { return *store_; }
  kernels::Precision precision() const { return options_.precision; }

  // Logits [batch.size(), num_labels], row-major. kInvalidArgument for ids outside the
  // vocabulary, empty or over-long sequences. Not thread-safe (reuses its workspace).
  Result<std::vector<float>> forward(const Batch& batch);

 private:
  // f32 layers use the mapped weights in place (separate query/key/value). Converted layers
  // cost a copy anyway, so their projections are fused: one qkv product per layer, and a kv
  // product in the last layer, whose query is needed for [CLS] only.
  struct Layer {
    std::optional<kernels::Linear> qkv, kv, query, key, value;
    kernels::Linear attention_output, ffn_in, ffn_out;
  };
  SequenceClassifier(ModelConfig config, std::unique_ptr<WeightStore> weights, const ModelOptions& options);
  // Projects rows of `x` to q|k|v (or k|v only) columns of `out` (row stride 3 * hidden).
  void project(const Layer& layer, const float* x, size_t rows, float* out, bool keys_and_values_only) const;
  // x += feed_forward(x) for `rows` rows, in chunks, so the intermediate activations (4x wider
  // than the hidden state) take a fixed buffer instead of one that grows with the batch.
  void feed_forward(const Layer& layer, float* x, size_t rows);
  Status validate(const Batch& batch) const;
  void embed(const Batch& batch);

  ModelConfig config_;
  std::unique_ptr<WeightStore> store_;
  ModelOptions options_;
  std::vector<Layer> layers_;
  kernels::Attention attention_;
  kernels::Linear pre_head_, classifier_;
  // Workspace, grown on demand and reused across calls.
  // Workspace, grow-only; on huge pages once a buffer reaches 2 MB.
  HugePageVector<float> hidden_, qkv_, context_, ffn_, scores_, cls_, pooled_, cls_query_, cls_context_;
  HugePageVector<uint8_t> ffn_quantized_;  // int8: the feed-forward intermediate, quantised
  HugePageVector<float> ffn_scale_;
  HugePageVector<int32_t> ffn_zero_;
};

}  // namespace verdict::model
