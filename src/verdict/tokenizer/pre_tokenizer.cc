#include "verdict/tokenizer/pre_tokenizer.h"

#include "verdict/tokenizer/unicode_util.h"

namespace verdict::tokenizer {

void pre_tokenize(PreTokenizerKind kind, std::string_view text, uint32_t begin, uint32_t end,
                  std::vector<WordSpan>* words) {
  if (begin >= end) return;
  if (kind == PreTokenizerKind::kNone) {
    words->push_back({begin, end});
    return;
  }
  // One pass does both of Rust's splits: whitespace (removed), then punctuation (isolated).
  uint32_t word_start = begin;
  size_t pos = begin;
  while (pos < end) {
    const auto start = static_cast<uint32_t>(pos);
    const char32_t cp = next_code_point(text, &pos);
    const bool space = is_white_space(cp);
    if (!space && !is_bert_punctuation(cp)) continue;
    if (word_start < start) words->push_back({word_start, start});
    if (!space) words->push_back({start, static_cast<uint32_t>(pos)});
    word_start = static_cast<uint32_t>(pos);
  }
  if (word_start < end) words->push_back({word_start, end});
}

}  // namespace verdict::tokenizer
