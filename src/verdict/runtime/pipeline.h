// Text in, labelled scores out: tokenizer -> unpadded batches -> model -> post-processing.
// The synchronous path used by the CLI; the server's batcher drives the same pieces.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/model/postprocess.h"
#include "verdict/model/sequence_classifier.h"
#include "verdict/tokenizer/tokenizer.h"

namespace verdict::runtime {

struct TextInput {
  std::string text;
  std::optional<std::string> text_pair;
};

struct ClassifyOptions {
  bool truncate = true;
  model::ScoreFunction function = model::ScoreFunction::kDefault;
  size_t max_batch_tokens = 16384;  // tokens per forward pass
};

// Not thread-safe: one caller at a time (the model reuses its workspace).
class Pipeline {
 public:
  // `model`: a model folder, or a Hub id found in the Hugging Face cache.
  static Result<std::unique_ptr<Pipeline>> load(const std::string& model,
                                                const model::ModelOptions& options = {});

  const model::ModelConfig& config() const { return model_->config(); }
  const tokenizer::Tokenizer& tokenizer() const { return *tokenizer_; }
  kernels::Precision precision() const { return model_->precision(); }
  model::SequenceClassifier& model() { return *model_; }
  // Longest input the model takes, special tokens included.
  size_t max_input_length() const;

  // Errors name the input by its index ("input 3: ...").
  Result<std::vector<tokenizer::Encoding>> encode(std::span<const TextInput> inputs, bool truncate) const;
  // Logits per input, computed in token-budgeted, padding-free batches.
  Result<std::vector<std::vector<float>>> logits(const std::vector<tokenizer::Encoding>& encodings,
                                                 size_t max_batch_tokens);
  // Every label sorted by score (descending) for each input.
  Result<std::vector<std::vector<model::LabelScore>>> classify(std::span<const TextInput> inputs,
                                                               const ClassifyOptions& options);

 private:
  Pipeline(std::unique_ptr<tokenizer::Tokenizer> tok, std::unique_ptr<model::SequenceClassifier> model);
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
  std::unique_ptr<model::SequenceClassifier> model_;
};

}  // namespace verdict::runtime
