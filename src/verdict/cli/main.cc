#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string_view>

#include "verdict/cli/commands.h"
#include "verdict/kernels/cpu.h"
#include "verdict/version.h"

namespace verdict::cli {

int fail(const std::string& message, int exit_code) {
  std::cerr << "verdict: " << message << "\n";
  return exit_code;
}

// CLI11 reports "verdict nosuch" as "A subcommand is required": name the word instead.
std::optional<std::string> unknown_command(const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") return std::nullopt;
    if (arg == "--threads" || arg == "--isa") {
      ++i;  // its value
      continue;
    }
    if (arg == "--help" || arg == "-h" || arg == "--version" || arg.starts_with("--threads=") ||
        arg.starts_with("--isa=")) {
      continue;
    }
    if (arg.starts_with("-")) return std::nullopt;  // not a global option: CLI11 names it
    std::string known;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->check_name(std::string(arg))) return std::nullopt;
      known += (known.empty() ? "" : ", ") + sub->get_name();
    }
    return "unknown command '" + std::string(arg) + "' (commands: " + known + ")";
  }
  return std::nullopt;
}

}  // namespace verdict::cli

int main(int argc, char** argv) {
  using namespace verdict;
  CLI::App app{"Verdict: fast, exact text classification with BERT-family models"};
  app.set_version_flag("--version", std::string(kVersion));
  app.require_subcommand(1);
  // --threads and --isa also after the command (`verdict serve --threads 1`): a container's
  // ENTRYPOINT is `verdict serve`, so its args come after it.
  app.fallthrough();
  // `--help` shows each option's default (operators read it there, not in the README).
  app.option_defaults()->always_capture_default();
  size_t threads = 0;
  std::string isa;
  app.add_option("--threads", threads, "Compute threads, 1 to 1024 (default: the cores this process may use)")
      ->envname("VERDICT_THREADS")
      ->check(CLI::Range(0, 1024));
  app.add_option("--isa", isa, "Cap the CPU instruction set kernels use (e.g. avx2, sse41)")
      ->envname("VERDICT_ISA");

  cli::Action action;
  cli::add_serve_command(app, action);
  cli::add_classify_command(app, action);
  cli::add_eval_command(app, action);
  cli::add_explain_command(app, action);
  cli::add_tokenize_command(app, action);
  cli::add_info_command(app, action);
  cli::add_bench_command(app, action);
  cli::add_discord_command(app, action);
  cli::add_convert_command(app, action);
  cli::add_pull_command(app, action);
  cli::add_dev_command(app, action);
  if (auto unknown = cli::unknown_command(app, argc, argv)) return cli::fail(*unknown);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return cli::fail(std::string(e.what()) + " (see --help)", e.get_exit_code());  // one line, as every error
  }

  if (!isa.empty()) {
    if (auto st = kernels::set_max_isa(isa); !st.ok()) return cli::fail(st.error().message);
  }
  kernels::set_compute_threads(threads ? threads : kernels::available_cores());
  if (!action) return cli::fail("no command given; see --help");
  try {
    const int code = action();
    // Output lost to a full disk or a closed pipe must not look like success.
    std::cout.flush();
    if (code == 0 && !std::cout) return cli::fail(std::string("cannot write to stdout: ") + std::strerror(errno));
    return code;
  } catch (const std::exception& e) {
    return cli::fail(std::string("internal error: ") + e.what());
  }
}
