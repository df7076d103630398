#include "verdict/cli/model_option.h"

#include <cstdio>
#include <cstdlib>

#include "verdict/hub/pull.h"
#include "verdict/kernels/linear.h"
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
                  "(int8 with an fp32 recheck of close calls: agrees with fp32 on >= 99.5% of texts)")
      ->envname("VERDICT_DTYPE")
      ->default_val("fp32")
      ->check(CLI::IsMember({"fp32", "int8", "bf16", "auto"}));
  cmd->add_option("--recheck-margin", m.recheck_margin,
                  "With int8/bf16/auto: compute again in fp32 the texts whose top two logits differ by less "
                  "than this (0: never; auto's default: 0.5 where bf16 runs, else 1.0, or 1.5 without VNNI)")
      ->envname("VERDICT_RECHECK_MARGIN")
      ->check(CLI::Validator(
          [](const std::string& v) -> std::string {
            char* end = nullptr;
            const double m = std::strtod(v.c_str(), &end);
            if (end == v.c_str() || *end != '\0' || !(m >= 0)) return "'" + v + "' is not a number >= 0 (e.g. 0.5)";
            return {};
          },
          "MARGIN"));
}

Result<model::ModelOptions> model_options(const std::string& dtype, std::optional<float> recheck_margin) {
  auto options = model::options_for_dtype(dtype);
  if (!options.ok()) return make_error(options.error().code, "--dtype: " + options.error().message);
  if (recheck_margin) options->recheck_margin = *recheck_margin;
  return options;
}

Result<model::ModelOptions> model_options(const ModelChoice& m) { return model_options(m.dtype, m.recheck_margin); }

std::string describe_precision(const model::SequenceClassifier& model) {
  std::string out(kernels::precision_name(model.precision()));
  if (model.qkv_precision() != model.precision()) {
    const size_t all = model.weights().weights().layers.size(), qkv = model.qkv_precision_layers();
    out += std::string(" (q/k/v ") + std::string(kernels::precision_name(model.qkv_precision())) +
           (qkv == all ? "" : " in the first " + std::to_string(qkv) + " of " + std::to_string(all) + " layers") + ")";
  }
  if (model.recheck_margin() > 0) {
    char margin[32];
    std::snprintf(margin, sizeof margin, "%g", static_cast<double>(model.recheck_margin()));
    out += std::string(", fp32 recheck below margin ") + margin;
  }
  return out;
}

Result<std::string> model_folder(const ModelChoice& m) {
  const auto hub = hub::settings_from_env();
  auto dir = hub::resolve_or_pull(m.model, m.revision, m.no_pull ? hub::PullPolicy::kNever : hub::PullPolicy::kIfMissing,
                                  hub);
  if (!dir.ok()) return dir.error();
  return dir->string();
}

Result<std::unique_ptr<runtime::Pipeline>> load_pipeline(const ModelChoice& m, bool defer_packing) {
  auto options = model_options(m);
  if (!options.ok()) return options.error();
  options->defer_packing = defer_packing;
  auto dir = model_folder(m);
  if (!dir.ok()) return dir.error();
  return runtime::Pipeline::load(*dir, *options);
}

}  // namespace verdict::cli
