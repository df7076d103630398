// Explanations by leave-one-word-out: for each whitespace-separated word of a text, how much the
// score of a label drops when that word is removed. weight = score(label | full text) -
// score(label | the other words joined by single spaces). Positive: the word pushed towards the
// label. The full text and every variant are classified together (one request, one batch when
// the token budget allows), so an explanation costs about one batched forward pass.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/model/config.h"
#include "verdict/runtime/pipeline.h"

namespace verdict::runtime {

// Words an explanation takes at most (variants = words + 1 sequences); beyond: an error.
constexpr size_t kMaxExplainWords = 128;

struct ExplainedWord {
  std::string word;
  size_t start = 0, stop = 0;            // code points (Unicode scalar values), stop exclusive
  size_t byte_start = 0, byte_stop = 0;  // the same span in UTF-8 bytes
  float weight = 0;
};

struct Explanation {
  std::string label;
  float score = 0;  // of `label` for the full text
  std::vector<ExplainedWord> words;
};

// The whitespace-separated words of `text` (whitespace as Python's str.split(): ASCII
// whitespace, U+001C..U+001F, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F,
// U+205F, U+3000), weights 0. `text` is expected to be valid UTF-8 (the tokenizer checks).
std::vector<ExplainedWord> split_words(std::string_view text);

// What to classify: [0] the text itself, then per word the text without it (others joined by
// single spaces).
std::vector<TextInput> explanation_inputs(std::string_view text, const std::vector<ExplainedWord>& words);

// kInvalidArgument when there is no word or more than `max_words`.
Status check_word_count(size_t words, size_t max_words = kMaxExplainWords);

// Builds the explanation from the logits of explanation_inputs() (same order). `label`: the
// label to explain; nullopt: the top label of the full text. An unknown label is kInvalidArgument.
Result<Explanation> explain_from_logits(std::vector<ExplainedWord> words,
                                        const std::vector<std::vector<float>>& logits,
                                        const model::ModelConfig& config,
                                        const std::optional<std::string>& label);

struct ExplainOptions {
  std::optional<std::string> label;
  bool truncate = true;
  size_t max_batch_tokens = 16384;
  size_t max_words = kMaxExplainWords;
};

// The CLI's synchronous path (the server sends the same inputs through its batcher).
Result<Explanation> explain(Pipeline& pipeline, std::string_view text, const ExplainOptions& options);

}  // namespace verdict::runtime
