#include "verdict/runtime/pipeline.h"

#include <algorithm>

#include "verdict/hub/cache.h"
#include "verdict/model/postprocess.h"

namespace verdict::runtime {

Result<std::unique_ptr<Pipeline>> Pipeline::load(const std::string& model_name,
                                                 const model::ModelOptions& options) {
  auto resolved = hub::resolve_model(model_name);
  if (!resolved.ok()) return resolved.error();
  const std::filesystem::path dir = *resolved;
  auto model = model::SequenceClassifier::load(dir, options);
  if (!model.ok()) return model.error();
  auto tok = tokenizer::load_tokenizer(dir);
  if (!tok.ok()) return tok.error();
  if ((*tok)->vocab_size() > (*model)->config().vocab_size) {
    return make_error(ErrorCode::kCorruptModel,
                      dir.string() + ": the tokenizer has " + std::to_string((*tok)->vocab_size()) +
                          " tokens but config.json's vocab_size is " +
                          std::to_string((*model)->config().vocab_size));
  }
  return std::unique_ptr<Pipeline>(new Pipeline(std::move(*tok), std::move(*model)));
}

Pipeline::Pipeline(std::unique_ptr<tokenizer::Tokenizer> tok, std::unique_ptr<model::SequenceClassifier> model)
    : tokenizer_(std::move(tok)), model_(std::move(model)) {}

size_t Pipeline::max_input_length() const {
  return std::min(tokenizer_->model_max_length(), model_->config().max_sequence_length());
}

Result<std::vector<tokenizer::Encoding>> Pipeline::encode(std::span<const TextInput> inputs,
                                                          bool truncate) const {
  tokenizer::EncodeOptions opts;
  opts.truncate = truncate;
  opts.max_length = max_input_length();
  std::vector<tokenizer::Encoding> out;
  out.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& in = inputs[i];
    auto enc = tokenizer_->encode(in.text, in.text_pair ? std::optional<std::string_view>(*in.text_pair)
                                                        : std::nullopt,
                                  opts);
    if (!enc.ok()) return make_error(enc.error().code, "input " + std::to_string(i) + ": " + enc.error().message);
    if (enc->ids.size() > opts.max_length) {
      return make_error(ErrorCode::kInvalidArgument,
                        "input " + std::to_string(i) + ": " + std::to_string(enc->ids.size()) +
                            " tokens, more than the model's maximum of " + std::to_string(opts.max_length) +
                            "; enable truncation to cut it");
    }
    out.push_back(std::move(*enc));
  }
  return out;
}

Result<std::vector<std::vector<float>>> Pipeline::logits(const std::vector<tokenizer::Encoding>& encodings,
                                                         size_t max_batch_tokens) {
  const size_t C = model_->config().num_labels();
  std::vector<std::vector<float>> out(encodings.size());
  model::Batch batch;
  std::vector<size_t> members;
  auto flush = [&]() -> Status {
    if (members.empty()) return {};
    auto logits = model_->forward(batch);
    if (!logits.ok()) return logits.error();
    if (auto finite = model::check_finite(*logits); !finite.ok()) return finite;
    for (size_t b = 0; b < members.size(); ++b) {
      out[members[b]].assign(logits->begin() + b * C, logits->begin() + (b + 1) * C);
    }
    batch.clear();
    members.clear();
    return {};
  };
  for (size_t i = 0; i < encodings.size(); ++i) {
    const auto& e = encodings[i];
    if (!members.empty() && batch.num_tokens() + e.ids.size() > max_batch_tokens) {
      if (auto st = flush(); !st.ok()) return st.error();
    }
    batch.add(e.ids, e.type_ids);
    members.push_back(i);
  }
  if (auto st = flush(); !st.ok()) return st.error();
  return out;
}

Result<std::vector<std::vector<model::LabelScore>>> Pipeline::classify(std::span<const TextInput> inputs,
                                                                       const ClassifyOptions& options) {
  auto enc = encode(inputs, options.truncate);
  if (!enc.ok()) return enc.error();
  auto logits = this->logits(*enc, options.max_batch_tokens);
  if (!logits.ok()) return logits.error();
  std::vector<std::vector<model::LabelScore>> out;
  out.reserve(inputs.size());
  for (const auto& l : *logits) out.push_back(model::score_labels(l, model_->config(), options.function));
  return out;
}

}  // namespace verdict::runtime
