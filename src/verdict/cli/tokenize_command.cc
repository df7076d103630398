#include <iostream>
#include <nlohmann/json.hpp>

#include "verdict/cli/commands.h"
#include "verdict/cli/model_option.h"
#include "verdict/cli/inputs.h"

namespace verdict::cli {
namespace {

struct TokenizeArgs {
  ModelChoice model;
  bool jsonl = false;
  bool no_special = false;
  bool no_truncate = false;
  std::vector<std::string> texts;
};

int run_tokenize(const TokenizeArgs& a) {
  // Only the tokenizer files are needed: no weights are opened.
  auto dir = model_folder(a.model);
  if (!dir.ok()) return fail(dir.error().message);
  auto tok = tokenizer::load_tokenizer(*dir);
  if (!tok.ok()) return fail(tok.error().message);
  tokenizer::EncodeOptions options;
  options.add_special_tokens = !a.no_special;
  options.truncate = !a.no_truncate;
  options.max_length = (*tok)->model_max_length();
  InputReader reader(a.texts, std::cin, a.jsonl);
  size_t index = 0;
  for (;;) {
    auto inputs = reader.next(256);
    if (!inputs.ok()) return fail(inputs.error().message);
    if (inputs->empty()) break;
    for (const auto& in : *inputs) {
      ++index;
      auto enc = (*tok)->encode(in.text, in.text_pair ? std::optional<std::string_view>(*in.text_pair) : std::nullopt,
                                options);
      if (!enc.ok()) return fail("input " + std::to_string(index) + ": " + enc.error().message);
      nlohmann::ordered_json offsets = nlohmann::ordered_json::array();
      for (const auto& o : enc->offsets) offsets.push_back({o.begin, o.end});
      nlohmann::ordered_json out = {{"input_ids", enc->ids}, {"tokens", enc->tokens}, {"offsets", offsets}};
      if (in.text_pair) out["token_type_ids"] = enc->type_ids;
      std::cout << out.dump() << "\n";
    }
    std::cout.flush();
  }
  return 0;
}

}  // namespace

void add_tokenize_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<TokenizeArgs>();
  auto* cmd = app.add_subcommand("tokenize", "Print token ids, tokens and byte offsets of texts "
                                             "(needs only the tokenizer files)");
  add_model_options(cmd, args->model, /*with_dtype=*/false);
  cmd->add_flag("--jsonl", args->jsonl,
                "Each stdin line is a JSON string or {\"text\": ..., \"text_pair\": ...}");
  cmd->add_flag("--no-special-tokens", args->no_special, "Do not add [CLS]/[SEP]");
  cmd->add_flag("--no-truncate", args->no_truncate, "Keep every token of long inputs");
  cmd->add_option("texts", args->texts, "Texts (default: read stdin)");
  cmd->callback([&action, args] { action = [args] { return run_tokenize(*args); }; });
}

}  // namespace verdict::cli
