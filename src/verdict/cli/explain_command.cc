// `verdict explain --model DIR TEXT`: the label of TEXT and how much each word moved it
// (leave-one-word-out, the same computation as POST /explain). A table, or JSON with --json.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "verdict/cli/commands.h"
#include "verdict/runtime/explain.h"

namespace verdict::cli {
namespace {

struct ExplainArgs {
  std::string model;
  std::string text;
  std::string label;
  bool json = false;
  bool no_truncate = false;
};

int run_explain(const ExplainArgs& a) {
  auto pipeline = runtime::Pipeline::load(a.model);
  if (!pipeline.ok()) return fail(pipeline.error().message);
  runtime::ExplainOptions options;
  if (!a.label.empty()) options.label = a.label;
  options.truncate = !a.no_truncate;
  auto e = runtime::explain(**pipeline, a.text, options);
  if (!e.ok()) return fail(e.error().message);
  if (a.json) {
    nlohmann::ordered_json words = nlohmann::ordered_json::array();
    for (const auto& w : e->words) {
      words.push_back({{"word", w.word}, {"start", w.start}, {"stop", w.stop}, {"weight", w.weight}});
    }
    std::cout << nlohmann::ordered_json{{"label", e->label}, {"score", e->score}, {"words", words}}.dump()
              << "\n";
    return 0;
  }
  std::printf("label: %s\nscore: %.4f\n\n%8s  %s\n", e->label.c_str(), static_cast<double>(e->score),
              "weight", "word");
  for (const auto& w : e->words) std::printf("%+8.4f  %s\n", static_cast<double>(w.weight), w.word.c_str());
  return 0;
}

}  // namespace

void add_explain_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<ExplainArgs>();
  auto* cmd = app.add_subcommand("explain",
                                 "Classify a text and show how much each word moved the score "
                                 "(score drop when the word is left out)");
  cmd->add_option("--model", args->model, "Model folder")->required()->envname("MODEL");
  cmd->add_option("--label", args->label, "Label to explain (default: the top label)");
  cmd->add_flag("--json", args->json, "Print {label, score, words: [{word, start, stop, weight}]}");
  cmd->add_flag("--no-truncate", args->no_truncate, "Fail on inputs longer than the model's maximum");
  cmd->add_option("text", args->text, "The text (at most 128 words)")->required();
  cmd->callback([&action, args] { action = [args] { return run_explain(*args); }; });
}

}  // namespace verdict::cli
