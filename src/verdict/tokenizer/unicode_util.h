// UTF-8 decoding and the character classes the Rust tokenizers library uses for BERT.
// Properties come from utf8proc; only the few fixed sets Rust hard-codes (CJK blocks) are
// spelled out here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace verdict::tokenizer {

inline constexpr size_t kValidUtf8 = static_cast<size_t>(-1);

// Byte offset of the first byte that does not start a well-formed UTF-8 sequence (overlong
// forms, surrogates and code points above U+10FFFF are ill-formed), or kValidUtf8.
size_t find_invalid_utf8(std::string_view text);

// Decodes the code point at text[*pos] and advances *pos. `text` must be valid UTF-8.
inline char32_t next_code_point(std::string_view text, size_t* pos) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = *pos;
  const unsigned char b0 = s[i];
  if (b0 < 0x80) {
    *pos = i + 1;
    return b0;
  }
  if (b0 < 0xE0) {
    *pos = i + 2;
    return (char32_t{b0 & 0x1Fu} << 6) | (s[i + 1] & 0x3Fu);
  }
  if (b0 < 0xF0) {
    *pos = i + 3;
    return (char32_t{b0 & 0x0Fu} << 12) | (char32_t{s[i + 1] & 0x3Fu} << 6) | (s[i + 2] & 0x3Fu);
  }
  *pos = i + 4;
  return (char32_t{b0 & 0x07u} << 18) | (char32_t{s[i + 1] & 0x3Fu} << 12) |
         (char32_t{s[i + 2] & 0x3Fu} << 6) | (s[i + 3] & 0x3Fu);
}

// Byte length of the UTF-8 sequence that starts with `lead` (a valid lead byte).
inline size_t utf8_sequence_length(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

inline size_t utf8_length(char32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

void append_utf8(char32_t cp, std::string* out);

// Rust char::is_whitespace: the Unicode White_Space property (also what regex `\s` matches).
bool is_white_space(char32_t cp);

// BertNormalizer's is_whitespace: White_Space, which already holds \t \n \r.
inline bool is_bert_whitespace(char32_t cp) { return is_white_space(cp); }

// BertNormalizer's is_control: categories Cc, Cf, Co, Cs except \t \n \r. Unassigned code
// points (Cn) are not controls: the Rust library keeps them.
bool is_bert_control(char32_t cp);

// BertPreTokenizer's punctuation: ASCII punctuation (including symbols such as $ + < = > ^ ` | ~)
// or a Unicode punctuation category (Pc Pd Pe Pf Pi Po Ps).
bool is_bert_punctuation(char32_t cp);

// BertNormalizer's "chinese character": the exact ranges of the Rust source (note its gap at
// U+2B820..U+2B91F).
bool is_cjk_ideograph(char32_t cp);

// Category Mn, what strip_accents removes after NFD.
bool is_nonspacing_mark(char32_t cp);

// Regex `\w` (Unicode): what AddedVocabulary's single_word check looks at.
bool is_word_char(char32_t cp);

// Canonical combining class (0 for starters).
int combining_class(char32_t cp);

}  // namespace verdict::tokenizer
