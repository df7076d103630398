// The options every command that loads a model shares (precision today).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "verdict/common/error.h"
#include "verdict/model/sequence_classifier.h"

namespace verdict::cli {

// --dtype fp32|bf16|int8|auto (env VERDICT_DTYPE), default fp32: the pipeline's exact answers.
void add_dtype_option(CLI::App* cmd, std::string& dtype);
Result<model::ModelOptions> model_options(const std::string& dtype);

}  // namespace verdict::cli
