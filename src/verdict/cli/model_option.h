// --model for every command: a model folder, or a Hugging Face Hub id (with --revision) found in
// the Hub cache or, unless forbidden (--no-pull / VERDICT_NO_PULL / HF_HUB_OFFLINE), pulled into it.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>

#include "verdict/common/error.h"
#include "verdict/runtime/pipeline.h"

namespace verdict::cli {

struct ModelChoice {
  std::string model;
  std::string revision = "main";
  bool no_pull = false;
  std::string dtype = "fp32";
  std::optional<float> recheck_margin;  // --recheck-margin; unset: auto's own, else none
};

// with_dtype: also --dtype fp32|bf16|int8|auto (env VERDICT_DTYPE), default fp32: the pipeline's
// exact answers; and --recheck-margin (env VERDICT_RECHECK_MARGIN) for the fast ones.
void add_model_options(CLI::App* cmd, ModelChoice& m, bool with_dtype = true);

// The options a --dtype value (and --recheck-margin, if given) stand for.
Result<model::ModelOptions> model_options(const std::string& dtype, std::optional<float> recheck_margin = std::nullopt);
Result<model::ModelOptions> model_options(const ModelChoice& m);
// "int8", or "int8 (q/k/v bf16), fp32 recheck below margin 0.5" (logs, `verdict info`).
std::string describe_precision(const model::SequenceClassifier& model);

// The model's folder, pulled first when it is a Hub id missing from the cache (and pulling is allowed).
Result<std::string> model_folder(const ModelChoice& m);

// defer_packing: see model::ModelOptions (a run with few texts is over before packing pays).
Result<std::unique_ptr<runtime::Pipeline>> load_pipeline(const ModelChoice& m, bool defer_packing = false);

}  // namespace verdict::cli
