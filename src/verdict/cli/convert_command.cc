#include <chrono>
#include <cstdio>
#include <iostream>

#include "verdict/cli/commands.h"
#include "verdict/model/convert.h"

namespace verdict::cli {
namespace {

struct ConvertArgs {
  std::string dir;
  std::string to;
  bool force = false;
};

int run_convert(const ConvertArgs& a) {
  const auto start = std::chrono::steady_clock::now();
  auto r = model::convert_to_safetensors(a.dir, a.force);
  if (!r.ok()) return fail(r.error().message);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char line[512];
  std::snprintf(line, sizeof line, "wrote %s: %zu tensors, %.1f MB, from %s (%s format) in %.2f s",
                r->output.c_str(), r->tensors, static_cast<double>(r->bytes) / 1e6, r->input.c_str(),
                r->input_format.c_str(), seconds);
  std::cout << line << "\n";
  return 0;
}

}  // namespace

void add_convert_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<ConvertArgs>();
  auto* cmd = app.add_subcommand(
      "convert", "Rewrite a model folder's pytorch_model.bin as model.safetensors (read without running pickle code)");
  cmd->add_option("dir", args->dir, "Model folder holding pytorch_model.bin")->required();
  cmd->add_option("--to", args->to, "Output format")->required()->check(CLI::IsMember({"safetensors"}));
  cmd->add_flag("--force", args->force, "Overwrite an existing model.safetensors");
  cmd->callback([&action, args] { action = [args] { return run_convert(*args); }; });
}

}  // namespace verdict::cli
