// BertPreTokenizer of the Rust tokenizers library: split on whitespace (dropped) and isolate
// every punctuation char.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace verdict::tokenizer {

// A word: the byte range [begin, end) of the normalized text.
struct WordSpan {
  uint32_t begin = 0;
  uint32_t end = 0;
  bool operator==(const WordSpan&) const = default;
};

enum class PreTokenizerKind {
  kBert,  // BertPreTokenizer
  kNone,  // "pre_tokenizer": null: the whole piece is one word
};

// Appends the words of text[begin, end) (valid UTF-8) to *words.
void pre_tokenize(PreTokenizerKind kind, std::string_view text, uint32_t begin, uint32_t end,
                  std::vector<WordSpan>* words);

}  // namespace verdict::tokenizer
