// Where each architecture keeps its tensors, as transformers names them. The loader and the
// random-model generator both read this table, so they cannot disagree.
#pragma once

#include <string>
#include <vector>

#include "verdict/model/config.h"

namespace verdict::model {

struct TensorNames {
  std::string embeddings;  // prefix: "distilbert.embeddings." / "bert.embeddings."
  std::string layer;       // prefix of layer i: layer + std::to_string(i) + "."
  std::string query, key, value, attention_output, attention_norm, ffn_in, ffn_out, output_norm;
  std::string pre_head;    // DistilBERT pre_classifier / BERT pooler.dense / RoBERTa classifier.dense
  std::string classifier;
};

const TensorNames& tensor_names(Architecture arch);

// Every tensor the architecture needs, with the shape config.json implies.
enum class TensorRole { kEmbedding, kNormWeight, kNormBias, kWeight, kBias };
struct TensorSpec {
  std::string name;
  std::vector<size_t> shape;
  TensorRole role;
  float gain = 1.f;  // for kWeight: init std = gain / sqrt(fan_in)
  bool classifier = false;
};
std::vector<TensorSpec> tensor_specs(const ModelConfig& config);

}  // namespace verdict::model
