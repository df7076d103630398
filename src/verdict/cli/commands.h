// Subcommands of the `verdict` binary. Each registers its options on the app and sets the
// action that runs when it was chosen; the action returns the process exit code.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace verdict::cli {

using Action = std::function<int()>;

void add_serve_command(CLI::App& app, Action& action);
void add_classify_command(CLI::App& app, Action& action);
void add_eval_command(CLI::App& app, Action& action);
void add_explain_command(CLI::App& app, Action& action);
void add_tokenize_command(CLI::App& app, Action& action);
void add_info_command(CLI::App& app, Action& action);
void add_bench_command(CLI::App& app, Action& action);
void add_dev_command(CLI::App& app, Action& action);
void add_discord_command(CLI::App& app, Action& action);
void add_convert_command(CLI::App& app, Action& action);
void add_accuracy_command(CLI::App& dev, Action& action);  // `verdict dev accuracy`
void add_pull_command(CLI::App& app, Action& action);

// Prints "verdict: <message>" on stderr and returns the exit code for errors (1).
int fail(const std::string& message, int exit_code = 1);

}  // namespace verdict::cli
