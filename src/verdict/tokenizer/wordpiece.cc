#include "verdict/tokenizer/wordpiece.h"

#include "verdict/tokenizer/unicode_util.h"

namespace verdict::tokenizer {
namespace {

size_t count_chars(std::string_view s) {
  size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Start of the last UTF-8 char of s[0, end).
size_t last_char_start(std::string_view s, size_t end) {
  size_t i = end - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  return i;
}

}  // namespace

void WordPiece::tokenize(std::string_view word, std::vector<SubToken>* out, std::string* scratch) const {
  const auto word_len = static_cast<uint32_t>(word.size());
  if (count_chars(word) > options_.max_input_chars_per_word) {
    out->push_back({unk_id_, 0, word_len});
    return;
  }
  const size_t first = out->size();
  const std::string_view prefix = options_.continuing_subword_prefix;
  size_t start = 0;
  while (start < word.size()) {
    // Candidates word[start, end) are views into one buffer holding the prefix (for every
    // piece but the first) followed by the rest of the word.
    std::string_view rest = word.substr(start);
    size_t skip = 0;
    if (start > 0) {
      scratch->assign(prefix);
      scratch->append(rest);
      rest = *scratch;
      skip = prefix.size();
    }
    size_t end = rest.size();
    bool found = false;
    while (end > skip) {
      if (const auto id = vocab_->find(rest.substr(0, end))) {
        out->push_back({*id, static_cast<uint32_t>(start), static_cast<uint32_t>(start + end - skip)});
        found = true;
        break;
      }
      end = last_char_start(rest, end);
    }
    if (!found) {
      out->resize(first);
      out->push_back({unk_id_, 0, word_len});
      return;
    }
    start += end - skip;
  }
}

}  // namespace verdict::tokenizer
