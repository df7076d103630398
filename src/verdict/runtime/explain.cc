#include "verdict/runtime/explain.h"

#include <algorithm>

#include "verdict/model/postprocess.h"

namespace verdict::runtime {
namespace {

bool is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// Decodes the code point at text[i] and its length in bytes; malformed bytes count as one.
std::pair<char32_t, size_t> decode(std::string_view text, size_t i) {
  const auto b = static_cast<unsigned char>(text[i]);
  size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 1;
  if (i + len > text.size()) len = 1;
  if (len == 1) return {b, 1};
  char32_t c = b & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  return {c, len};
}

}  // namespace

std::vector<ExplainedWord> split_words(std::string_view text) {
  std::vector<ExplainedWord> words;
  size_t cp = 0;
  bool in_word = false;
  for (size_t i = 0; i < text.size();) {
    const auto [c, len] = decode(text, i);
    if (is_space(c)) {
      in_word = false;
    } else {
      if (!in_word) {
        words.push_back({});
        words.back().start = cp;
        words.back().byte_start = i;
        in_word = true;
      }
      words.back().stop = cp + 1;
      words.back().byte_stop = i + len;
    }
    i += len;
    ++cp;
  }
  for (auto& w : words) w.word = std::string(text.substr(w.byte_start, w.byte_stop - w.byte_start));
  return words;
}

std::vector<TextInput> explanation_inputs(std::string_view text, const std::vector<ExplainedWord>& words) {
  std::vector<TextInput> inputs;
  inputs.reserve(words.size() + 1);
  inputs.push_back({std::string(text), std::nullopt});
  for (size_t skip = 0; skip < words.size(); ++skip) {
    std::string rest;
    for (size_t i = 0; i < words.size(); ++i) {
      if (i == skip) continue;
      if (!rest.empty()) rest += ' ';
      rest += words[i].word;
    }
    inputs.push_back({std::move(rest), std::nullopt});
  }
  return inputs;
}

Status check_word_count(size_t words, size_t max_words) {
  if (words == 0) return make_error(ErrorCode::kInvalidArgument, "the text has no word to explain");
  if (words > max_words) {
    return make_error(ErrorCode::kInvalidArgument, "the text has " + std::to_string(words) +
                                                       " words; explanations take at most " +
                                                       std::to_string(max_words));
  }
  return {};
}

Result<Explanation> explain_from_logits(std::vector<ExplainedWord> words,
                                        const std::vector<std::vector<float>>& logits,
                                        const model::ModelConfig& config,
                                        const std::optional<std::string>& label) {
  if (logits.size() != words.size() + 1) {
    return make_error(ErrorCode::kInternal, "explanation: " + std::to_string(logits.size()) +
                                                " logit rows for " + std::to_string(words.size()) + " words");
  }
  // Scores of one label for one row, by the pipeline's default function.
  auto score_of = [&config](const std::vector<float>& row, size_t id) {
    for (const auto& s : model::score_labels(row, config, model::ScoreFunction::kDefault)) {
      if (s.id == id) return s.score;
    }
    return 0.0f;
  };
  const auto full = model::score_labels(logits[0], config, model::ScoreFunction::kDefault);
  size_t id = full[0].id;
  if (label) {
    const auto it = std::find(config.labels.begin(), config.labels.end(), *label);
    if (it == config.labels.end()) {
      std::string known;
      for (const auto& l : config.labels) known += (known.empty() ? "" : ", ") + l;
      return make_error(ErrorCode::kInvalidArgument,
                        "unknown label '" + *label + "'; the model's labels are: " + known);
    }
    id = static_cast<size_t>(it - config.labels.begin());
  }
  Explanation out;
  out.label = config.labels[id];
  out.score = score_of(logits[0], id);
  for (size_t i = 0; i < words.size(); ++i) words[i].weight = out.score - score_of(logits[i + 1], id);
  out.words = std::move(words);
  return out;
}

Result<Explanation> explain(Pipeline& pipeline, std::string_view text, const ExplainOptions& options) {
  auto words = split_words(text);
  if (auto st = check_word_count(words.size(), options.max_words); !st.ok()) return st.error();
  const auto inputs = explanation_inputs(text, words);
  auto encodings = pipeline.encode(inputs, options.truncate);
  if (!encodings.ok()) return encodings.error();
  auto logits = pipeline.logits(*encodings, options.max_batch_tokens);
  if (!logits.ok()) return logits.error();
  return explain_from_logits(std::move(words), *logits, pipeline.config(), options.label);
}

}  // namespace verdict::runtime
