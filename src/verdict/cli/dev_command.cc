#include <iostream>
#include <string>

#include "verdict/cli/commands.h"
#include "verdict/model/random_model.h"

namespace verdict::cli {
namespace {

struct RandomModelArgs {
  std::string config;
  std::string out;
  uint64_t seed = 0;
  std::string dtype = "f32";
};

int run_random_model(const RandomModelArgs& a) {
  const auto dtype = a.dtype == "f16" ? model::DType::kF16 : a.dtype == "bf16" ? model::DType::kBF16 : model::DType::kF32;
  if (auto st = model::write_random_model(a.config, a.out, a.seed, dtype); !st.ok()) return fail(st.error().message);
  std::cerr << "wrote " << a.out << "\n";
  return 0;
}

}  // namespace

void add_dev_command(CLI::App& app, Action& action) {
  auto* dev = app.add_subcommand("dev", "Developer tools");
  dev->require_subcommand(1);
  auto args = std::make_shared<RandomModelArgs>();
  auto* cmd = dev->add_subcommand("random-model",
                                  "Write a model folder with random weights for a config.json (benchmarks)");
  cmd->add_option("--config", args->config, "config.json; tokenizer files beside it are copied")
      ->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", args->out, "Output folder")->required();
  cmd->add_option("--seed", args->seed, "Random seed")
      ->check(CLI::Validator(
          [](std::string& v) {  // CLI11 reads "-5" into a uint64_t as 2^64 - 5
            return v.find_first_not_of("0123456789") == std::string::npos ? std::string()
                                                                          : "Value " + v + " is not a non-negative integer";
          },
          "UINT"));
  cmd->add_option("--dtype", args->dtype, "Stored dtype")->check(CLI::IsMember({"f32", "f16", "bf16"}));
  cmd->callback([&action, args] { action = [args] { return run_random_model(*args); }; });
  add_accuracy_command(*dev, action);
}

}  // namespace verdict::cli
