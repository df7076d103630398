#include "verdict/cli/model_options.h"

namespace verdict::cli {

void add_dtype_option(CLI::App* cmd, std::string& dtype) {
  cmd->add_option("--dtype", dtype,
                  "Precision of the encoder's matrix products: fp32 (exact, default), int8, bf16, or auto "
                  "(the fastest this CPU runs that agrees with fp32)")
      ->envname("VERDICT_DTYPE")
      ->default_val("fp32");
}

Result<model::ModelOptions> model_options(const std::string& dtype) {
  auto precision = model::parse_dtype(dtype);
  if (!precision.ok()) return make_error(precision.error().code, "--dtype: " + precision.error().message);
  model::ModelOptions options;
  options.precision = *precision;
  return options;
}

}  // namespace verdict::cli
