#include <iostream>
#include <nlohmann/json.hpp>

#include "verdict/cli/batch_files.h"
#include "verdict/cli/commands.h"
#include "verdict/cli/model_option.h"
#include "verdict/cli/inputs.h"

namespace verdict::cli {
namespace {

struct ClassifyArgs {
  ModelChoice model;
  bool all_scores = false;
  std::string function = "default";
  bool jsonl = false;
  bool no_truncate = false;
  size_t max_batch_tokens = 16384;
  std::vector<std::string> texts;
  FileArgs file;  // --input FILE: a CSV/TSV/JSONL file (batch_files.h)
  std::string output;
};

// Inputs are read and classified in chunks so a long stdin streams instead of waiting for EOF.
constexpr size_t kChunk = 256;
// fp32 weights are packed for the faster route (~100 ms) only once a run has this many texts:
// the route saves ~10 ms a text on mixed reviews, so a one-line classify finishes sooner on the
// weights in place.
constexpr size_t kPackFrom = 16;

int run_classify(const ClassifyArgs& a) {
  auto model_opts = model_options(a.model);
  if (!model_opts.ok()) return fail(model_opts.error().message);
  runtime::ClassifyOptions options;
  options.truncate = !a.no_truncate;
  options.max_batch_tokens = a.max_batch_tokens;
  if (a.function != "default") {
    auto fn = model::parse_score_function(a.function);
    if (!fn.ok()) return fail(fn.error().message);
    options.function = *fn;
  }
  if (!a.file.input.empty()) {
    if (!a.texts.empty() || a.jsonl || a.all_scores) {
      return fail("--input reads texts from a file; it does not combine with TEXT arguments, --jsonl or --all-scores");
    }
    auto folder = model_folder(a.model);
    if (!folder.ok()) return fail(folder.error().message);
    return run_classify_file(a.file, a.output, *folder, *model_opts, options);
  }
  if (!a.output.empty()) return fail("--output needs --input FILE");
  auto pipeline = load_pipeline(a.model, /*defer_packing=*/true);
  if (!pipeline.ok()) return fail(pipeline.error().message);
  InputReader reader(a.texts, std::cin, a.jsonl);
  size_t done = 0;
  for (;;) {
    auto inputs = reader.next(kChunk);
    if (!inputs.ok()) return fail(inputs.error().message);
    if (inputs->empty()) break;
    if (done + inputs->size() >= kPackFrom) (*pipeline)->model().pack();
    auto results = (*pipeline)->classify(*inputs, options);
    if (!results.ok()) {
      // Name the input by its position in the whole run, not in the chunk.
      std::string msg = results.error().message;
      if (msg.rfind("input ", 0) == 0) {
        const size_t colon = msg.find(':');
        msg = "input " + std::to_string(done + std::stoul(msg.substr(6, colon - 6)) + 1) + msg.substr(colon);
      }
      return fail(msg);
    }
    for (const auto& scores : *results) {
      nlohmann::ordered_json out;
      if (a.all_scores) {
        out = nlohmann::ordered_json::array();
        for (const auto& s : scores) out.push_back({{"label", s.label}, {"score", s.score}});
      } else {
        out = {{"label", scores[0].label}, {"score", scores[0].score}};
      }
      std::cout << out.dump() << "\n";
    }
    std::cout.flush();
    done += inputs->size();
  }
  return 0;
}

}  // namespace

void add_classify_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<ClassifyArgs>();
  auto* cmd = app.add_subcommand("classify", "Classify texts (arguments, else one per stdin line); "
                                             "prints one JSON line per input");
  add_model_options(cmd, args->model);
  cmd->add_flag("--all-scores", args->all_scores, "Print every label's score, sorted descending");
  cmd->add_option("--function-to-apply", args->function, "softmax, sigmoid or none (default: the pipeline's rule)")
      ->check(CLI::IsMember({"default", "softmax", "sigmoid", "none"}, CLI::ignore_case));
  cmd->add_flag("--jsonl", args->jsonl,
                "Each stdin line is a JSON string or {\"text\": ..., \"text_pair\": ...}");
  cmd->add_flag("--no-truncate", args->no_truncate,
                "Fail on inputs longer than the model's maximum instead of truncating them");
  cmd->add_option("--max-batch-tokens", args->max_batch_tokens, "Tokens per forward pass")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  cmd->add_option("texts", args->texts, "Texts to classify (default: read stdin)");
  add_file_options(cmd, args->file);
  cmd->add_option("--output", args->output, "With --input: file to write (default or -: stdout)");
  cmd->callback([&action, args] { action = [args] { return run_classify(*args); }; });
}

}  // namespace verdict::cli
