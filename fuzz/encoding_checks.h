// What must hold for any text a tokenizer is given, checked by fuzz_tokenizer and
// fuzz_tokenizer_json: the same input encoded with different options must agree.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "verdict/tokenizer/tokenizer.h"

namespace verdict::fuzz {

// Encodes `text` (and `pair`) untruncated, truncated at 512 and at `tiny_max_length`, and
// without special tokens; fails (aborts) when an encoding is malformed (lengths, offsets outside
// their sequence or inside a UTF-8 char) or the encodings disagree (truncation must keep a prefix
// of each sequence, or from the left a suffix of the same length, and exactly the budget).
// Invalid UTF-8 must be refused, valid UTF-8 accepted.
void check_encodings(const tokenizer::Tokenizer& tokenizer, std::string_view text,
                     std::optional<std::string_view> pair, size_t tiny_max_length);

// What every tokenizer a fuzzed file produced must do: encode fixed texts (special tokens,
// accents, CJK, controls, a very long word) and texts made of its own first tokens, spaced and
// glued, consistently (check_encodings).
void check_loaded_tokenizer(const tokenizer::Tokenizer& tokenizer);

// Strict UTF-8 validation written independently of the tokenizer's (Unicode table 3-7).
bool is_valid_utf8(std::string_view s);

}  // namespace verdict::fuzz
