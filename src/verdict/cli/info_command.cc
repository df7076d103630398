#include <iostream>
#include <nlohmann/json.hpp>

#include "verdict/cli/commands.h"
#include "verdict/cli/model_option.h"
#include "verdict/kernels/cpu.h"
#include "verdict/kernels/linear.h"
#include "verdict/runtime/pipeline.h"
#include "verdict/version.h"

namespace verdict::cli {
namespace {

struct InfoArgs {
  ModelChoice model;
  bool json = false;
};

int run_info(const InfoArgs& a) {
  auto pipeline = load_pipeline(a.model);
  if (!pipeline.ok()) return fail(pipeline.error().message);
  const auto& c = (*pipeline)->config();
  nlohmann::ordered_json j = {
      {"model", a.model.model},
      {"architecture", model::architecture_name(c.architecture)},
      {"model_type", c.model_type},
      {"hidden_size", c.hidden_size},
      {"num_heads", c.num_heads},
      {"num_layers", c.num_layers},
      {"intermediate_size", c.intermediate_size},
      {"vocab_size", c.vocab_size},
      {"max_position_embeddings", c.max_position_embeddings},
      {"max_input_length", (*pipeline)->max_input_length()},
      {"activation", model::activation_name(c.activation)},
      {"labels", c.labels},
      {"default_function", model::score_function_name(model::resolve_score_function(c, model::ScoreFunction::kDefault))},
      {"parameters", (*pipeline)->model().weights().parameter_count()},
      {"stored_dtype", (*pipeline)->model().weights().stored_dtype()},
      {"compute_dtype", kernels::precision_name((*pipeline)->precision())},
      {"qkv_dtype", kernels::precision_name((*pipeline)->model().qkv_precision())},
      {"qkv_dtype_layers", (*pipeline)->model().qkv_precision_layers()},
      {"attention_dtype", kernels::precision_name((*pipeline)->model().attention_precision())},
      {"recheck_margin", (*pipeline)->model().recheck_margin()},
      {"tokenizer", (*pipeline)->tokenizer().kind()},
      {"isa", kernels::effective_isa()},
      {"kernels", kernels::kernel_route((*pipeline)->precision())},
      {"threads", kernels::compute_threads()},
      {"openmp_wait", kernels::openmp_wait_policy()},
      {"version", kVersion},
  };
  if (a.json) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  for (const auto& [k, v] : j.items()) {
    std::cout << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
  }
  return 0;
}

}  // namespace

void add_info_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<InfoArgs>();
  auto* cmd = app.add_subcommand("info", "Describe a model folder: architecture, sizes, labels, parameters");
  add_model_options(cmd, args->model);
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->callback([&action, args] { action = [args] { return run_info(*args); }; });
}

}  // namespace verdict::cli
