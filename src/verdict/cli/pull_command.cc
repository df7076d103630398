// `verdict pull MODEL_ID`: download a model from the Hugging Face Hub into the cache; prints the
// snapshot folder (usable as --model) on stdout.
#include <iostream>

#include "verdict/cli/commands.h"
#include "verdict/hub/progress_bar.h"
#include "verdict/hub/pull.h"

namespace verdict::cli {

void add_pull_command(CLI::App& app, Action& action) {
  struct PullArgs {
    std::string model_id;
    std::string revision = "main";
  };
  auto a = std::make_shared<PullArgs>();
  auto* cmd = app.add_subcommand("pull", "Download a model from the Hugging Face Hub into the cache "
                                         "($HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)");
  cmd->add_option("MODEL_ID", a->model_id, "Hub model id, e.g. distilbert-base-uncased-finetuned-sst-2-english")
      ->required();
  cmd->add_option("--revision", a->revision, "Branch, tag or commit hash")->envname("MODEL_REVISION");
  cmd->callback([&action, a] {
    action = [a] {
      hub::PullOptions options;
      options.revision = a->revision;
      options.progress = hub::stderr_is_tty();
      options.notice = [](const std::string& m) { std::cerr << "verdict pull: " << m << "\n"; };
      auto dir = hub::pull(a->model_id, options, hub::settings_from_env());
      if (!dir.ok()) return fail(dir.error().message);
      std::cout << dir->string() << "\n";
      return 0;
    };
  });
}

}  // namespace verdict::cli
