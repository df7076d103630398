#include "verdict/cli/model_option.h"

#include "verdict/hub/pull.h"
#include "verdict/hub/settings.h"

namespace verdict::cli {

void add_model_options(CLI::App* cmd, ModelChoice& m, bool with_dtype) {
  cmd->add_option("--model", m.model, "Model folder, or Hugging Face Hub id (e.g. distilbert-base-uncased-finetuned-sst-2-english)")
      ->required()->envname("MODEL");
  cmd->add_option("--revision", m.revision, "Hub revision of a Hub id: branch, tag or commit")
      ->envname("MODEL_REVISION");
  cmd->add_flag("--no-pull", m.no_pull, "Never download: a Hub id must already be in the cache")
      ->envname("VERDICT_NO_PULL");
  if (!with_dtype) return;
  cmd->add_option("--dtype", m.dtype,
                  "Precision of the encoder's matrix products: fp32 (exact, default), int8, bf16, or auto "
                  "(the fastest this CPU runs that agrees with fp32)")
      ->envname("VERDICT_DTYPE")
      ->default_val("fp32")
      ->check(CLI::IsMember({"fp32", "int8", "bf16", "auto"}));
}

Result<model::ModelOptions> model_options(const std::string& dtype) {
  auto precision = model::parse_dtype(dtype);
  if (!precision.ok()) return make_error(precision.error().code, "--dtype: " + precision.error().message);
  model::ModelOptions options;
  options.precision = *precision;
  return options;
}

Result<std::string> model_folder(const ModelChoice& m) {
  const auto hub = hub::settings_from_env();
  auto dir = hub::resolve_or_pull(m.model, m.revision, m.no_pull ? hub::PullPolicy::kNever : hub::PullPolicy::kIfMissing,
                                  hub);
  if (!dir.ok()) return dir.error();
  return dir->string();
}

Result<std::unique_ptr<runtime::Pipeline>> load_pipeline(const ModelChoice& m, bool defer_packing) {
  auto options = model_options(m.dtype);
  if (!options.ok()) return options.error();
  options->defer_packing = defer_packing;
  auto dir = model_folder(m);
  if (!dir.ok()) return dir.error();
  return runtime::Pipeline::load(*dir, *options);
}

}  // namespace verdict::cli
