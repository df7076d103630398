#include "verdict/model/postprocess.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

namespace verdict::model {

Result<ScoreFunction> parse_score_function(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "softmax") return ScoreFunction::kSoftmax;
  if (lower == "sigmoid") return ScoreFunction::kSigmoid;
  if (lower == "none") return ScoreFunction::kNone;
  return make_error(ErrorCode::kInvalidArgument, "function_to_apply must be one of softmax, sigmoid, "
                                                 "none; found '" + std::string(name) + "'");
}

std::string_view score_function_name(ScoreFunction fn) {
  switch (fn) {
    case ScoreFunction::kDefault: return "default";
    case ScoreFunction::kSoftmax: return "softmax";
    case ScoreFunction::kSigmoid: return "sigmoid";
    case ScoreFunction::kNone: return "none";
  }
  return "default";
}

ScoreFunction resolve_score_function(const ModelConfig& config, ScoreFunction requested) {
  if (requested != ScoreFunction::kDefault) return requested;
  if (config.num_labels() == 1 || config.problem_type == ProblemType::kMultiLabel) {
    return ScoreFunction::kSigmoid;
  }
  return ScoreFunction::kSoftmax;
}

Status check_finite(std::span<const float> logits) {
  for (float v : logits) {
    if (!std::isfinite(v)) {
      return make_error(ErrorCode::kCorruptModel,
                        "the model computed a non-finite logit (are there NaN or infinite weights in the checkpoint?)");
    }
  }
  return {};
}

float top_two_margin(std::span<const float> logits) {
  float top = -std::numeric_limits<float>::infinity(), second = top;
  for (float v : logits) {
    if (std::isnan(v)) return v;
    if (v > top) {
      second = top;
      top = v;
    } else if (v > second) {
      second = v;
    }
  }
  return logits.size() < 2 ? std::numeric_limits<float>::infinity() : top - second;
}

std::vector<LabelScore> score_labels(std::span<const float> logits, const ModelConfig& config,
                                     ScoreFunction fn) {
  fn = resolve_score_function(config, fn);
  std::vector<LabelScore> out(logits.size());
  // float32 arithmetic, as the pipeline's numpy code on float32 logits.
  float max = -INFINITY;
  for (float v : logits) max = std::max(max, v);
  float sum = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    float s = logits[i];
    if (fn == ScoreFunction::kSoftmax) sum += (s = std::exp(logits[i] - max));
    if (fn == ScoreFunction::kSigmoid) s = 1.0f / (1.0f + std::exp(-logits[i]));
    out[i] = {i < config.labels.size() ? config.labels[i] : "LABEL_" + std::to_string(i), s, i};
  }
  if (fn == ScoreFunction::kSoftmax) {
    for (auto& ls : out) ls.score /= sum;
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const LabelScore& a, const LabelScore& b) { return a.score > b.score; });
  return out;
}

}  // namespace verdict::model
