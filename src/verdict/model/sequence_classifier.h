// A BERT-family encoder with its sequence-classification head: ids in, logits out.
// DistilBERT and BERT share this code; their differences are data (names, token types, head).
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/kernels/attention.h"
#include "verdict/kernels/linear.h"
#include "verdict/model/batch.h"
#include "verdict/model/config.h"
#include "verdict/model/weights.h"

namespace verdict::model {

class SequenceClassifier {
 public:
  // Reads config.json and model.safetensors (else pytorch_model.bin) of a model folder and
  // validates both.
  static Result<std::unique_ptr<SequenceClassifier>> load(const std::filesystem::path& model_dir);
  static Result<std::unique_ptr<SequenceClassifier>> create(ModelConfig config,
                                                            std::unique_ptr<WeightStore> weights);

  const ModelConfig& config() const { return config_; }
  const WeightStore& weights() const { return *store_; }

  // Logits [batch.size(), num_labels], row-major. kInvalidArgument for ids outside the
  // vocabulary, empty or over-long sequences. Not thread-safe (reuses its workspace).
  Result<std::vector<float>> forward(const Batch& batch);

 private:
  struct Layer {
    kernels::Linear query, key, value, attention_output, ffn_in, ffn_out;
  };
  SequenceClassifier(ModelConfig config, std::unique_ptr<WeightStore> weights);
  Status validate(const Batch& batch) const;
  void embed(const Batch& batch);

  ModelConfig config_;
  std::unique_ptr<WeightStore> store_;
  std::vector<Layer> layers_;
  kernels::Attention attention_;
  kernels::Linear pre_head_, classifier_;
  // Workspace, grown on demand and reused across calls.
  std::vector<float> hidden_, qkv_, context_, ffn_, scores_, cls_, pooled_, cls_query_, cls_context_;
};

}  // namespace verdict::model
