#include "verdict/model/tensor_names.h"

namespace verdict::model {

const TensorNames& tensor_names(Architecture arch) {
  static const TensorNames distilbert{
      "distilbert.embeddings.", "distilbert.transformer.layer.",
      "attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin",
      "sa_layer_norm", "ffn.lin1", "ffn.lin2", "output_layer_norm",
      "pre_classifier", "classifier"};
  static const TensorNames bert{
      "bert.embeddings.", "bert.encoder.layer.",
      "attention.self.query", "attention.self.key", "attention.self.value",
      "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense",
      "output.dense", "output.LayerNorm", "bert.pooler.dense", "classifier"};
  // XLM-R's classes subclass RoBERTa's and keep its "roberta." names.
  static const TensorNames roberta{
      "roberta.embeddings.", "roberta.encoder.layer.",
      "attention.self.query", "attention.self.key", "attention.self.value",
      "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense",
      "output.dense", "output.LayerNorm", "classifier.dense", "classifier.out_proj"};
  switch (arch) {
    case Architecture::kDistilBert: return distilbert;
    case Architecture::kBert: return bert;
    case Architecture::kRoberta:
    case Architecture::kXlmRoberta: return roberta;
  }
  return bert;
}

std::vector<TensorSpec> tensor_specs(const ModelConfig& c) {
  const TensorNames& n = tensor_names(c.architecture);
  const size_t D = c.hidden_size, F = c.intermediate_size;
  std::vector<TensorSpec> specs;
  auto linear = [&](const std::string& p, size_t out, size_t in, float gain, bool cls = false) {
    specs.push_back({p + ".weight", {out, in}, TensorRole::kWeight, gain, cls});
    specs.push_back({p + ".bias", {out}, TensorRole::kBias, 1.f, cls});
  };
  auto norm = [&](const std::string& p) {
    specs.push_back({p + ".weight", {D}, TensorRole::kNormWeight});
    specs.push_back({p + ".bias", {D}, TensorRole::kNormBias});
  };
  specs.push_back({n.embeddings + "word_embeddings.weight", {c.vocab_size, D}, TensorRole::kEmbedding});
  specs.push_back({n.embeddings + "position_embeddings.weight", {c.max_position_embeddings, D},
                   TensorRole::kEmbedding});
  if (c.type_vocab_size > 0) {
    specs.push_back({n.embeddings + "token_type_embeddings.weight", {c.type_vocab_size, D},
                     TensorRole::kEmbedding});
  }
  norm(n.embeddings + "LayerNorm");
  for (size_t i = 0; i < c.num_layers; ++i) {
    const std::string p = n.layer + std::to_string(i) + ".";
    // Gains of the golden models' recipe (testdata README): larger than transformers' init so
    // attention and logits vary.
    linear(p + n.query, D, D, 2.5f);
    linear(p + n.key, D, D, 2.5f);
    linear(p + n.value, D, D, 1.2f);
    linear(p + n.attention_output, D, D, 1.2f);
    norm(p + n.attention_norm);
    linear(p + n.ffn_in, F, D, 1.2f);
    linear(p + n.ffn_out, D, F, 1.2f);
    norm(p + n.output_norm);
  }
  linear(n.pre_head, D, D, 1.2f);
  linear(n.classifier, c.num_labels(), D, 3.0f, /*cls=*/true);
  return specs;
}

}  // namespace verdict::model
