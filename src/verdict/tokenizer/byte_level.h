// The ByteLevel pre-tokenizer of GPT-2 / RoBERTa as the Rust tokenizers library runs it: the
// GPT-2 split pattern (PCRE2 with Unicode properties), then every byte of a word becomes one
// printable character of the byte-to-unicode table.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace verdict::tokenizer {

// GPT-2's bytes_to_unicode(): byte -> code point (printable bytes map to themselves, the
// others to U+0100 + n in byte order).
const std::array<char32_t, 256>& byte_to_unicode();
// The byte-level string of raw bytes ("Ġhello" for " hello").
std::string byte_level_string(std::string_view bytes);

// A word found by the split: bytes [begin, end) of the text given to split().
struct ByteLevelWord {
  uint32_t begin = 0;
  uint32_t end = 0;
};

class ByteLevelSplitter {
 public:
  // use_regex false: the whole text is one word (Rust's use_regex = false).
  explicit ByteLevelSplitter(bool use_regex = true);
  ~ByteLevelSplitter();
  ByteLevelSplitter(const ByteLevelSplitter&) = delete;
  ByteLevelSplitter& operator=(const ByteLevelSplitter&) = delete;

  // Words of `text` (valid UTF-8), covering it in order. Thread-safe.
  void split(std::string_view text, std::vector<ByteLevelWord>* out) const;

 private:
  struct Regex;
  std::unique_ptr<Regex> regex_;
};

// What RobertaProcessing / ByteLevel with trim_offsets remove from a token's offsets: the
// number of leading and trailing characters of `token` that are 'Ġ' (a byte-level space) or
// whitespace.
struct SpaceCounts {
  uint32_t leading = 0;
  uint32_t trailing = 0;
};
SpaceCounts byte_level_spaces(std::string_view token);

}  // namespace verdict::tokenizer
