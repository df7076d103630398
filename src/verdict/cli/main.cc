#include <cstdlib>
#include <iostream>

#include "verdict/cli/commands.h"
#include "verdict/kernels/cpu.h"
#include "verdict/version.h"

namespace verdict::cli {

int fail(const std::string& message) {
  std::cerr << "verdict: " << message << "\n";
  return 1;
}

}  // namespace verdict::cli

int main(int argc, char** argv) {
  using namespace verdict;
  CLI::App app{"Verdict: fast, exact text classification with BERT-family models"};
  app.set_version_flag("--version", std::string(kVersion));
  app.require_subcommand(1);
  size_t threads = 0;
  std::string isa;
  app.add_option("--threads", threads, "Compute threads (default: the cores this process may use)")
      ->envname("VERDICT_THREADS");
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
  CLI11_PARSE(app, argc, argv);

  if (!isa.empty()) {
    if (auto st = kernels::set_max_isa(isa); !st.ok()) return cli::fail(st.error().message);
  }
  kernels::set_compute_threads(threads ? threads : kernels::available_cores());
  if (!action) return cli::fail("no command given; see --help");
  try {
    return action();
  } catch (const std::exception& e) {
    return cli::fail(std::string("internal error: ") + e.what());
  }
}
