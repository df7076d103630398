// Logits -> labelled scores, by the transformers text-classification pipeline's rules.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/model/config.h"

namespace verdict::model {

enum class ScoreFunction { kDefault, kSoftmax, kSigmoid, kNone };

// "softmax" | "sigmoid" | "none" (case-insensitive, as the pipeline's enum accepts).
Result<ScoreFunction> parse_score_function(std::string_view name);
std::string_view score_function_name(ScoreFunction fn);

// The pipeline's default: sigmoid for one label or multi-label problems, else softmax.
ScoreFunction resolve_score_function(const ModelConfig& config, ScoreFunction requested);

struct LabelScore {
  std::string label;
  float score = 0;
  size_t id = 0;
};

// How clearly one input's logits pick their top label: the top logit minus the next (+inf for a
// single logit, NaN if any is NaN). What --dtype auto's fp32 recheck is decided on.
float top_two_margin(std::span<const float> logits);

// An error (kCorruptModel) unless every logit is finite: NaN or infinite weights would otherwise
// give a null score, or an "accuracy" of 1.000 in eval.
Status check_finite(std::span<const float> logits);

// Every label with its score, sorted by score descending (stable: ties keep label order).
std::vector<LabelScore> score_labels(std::span<const float> logits, const ModelConfig& config,
                                     ScoreFunction fn);

}  // namespace verdict::model
