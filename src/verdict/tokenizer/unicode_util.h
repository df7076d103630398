// UTF-8 decoding and the character classes the Rust tokenizers library uses for BERT.
// Properties come from utf8proc; only fixed sets the references hard-code (Rust's CJK blocks, and
// the Other_Alphabetic symbols regex `\w` accepts) are spelled out here.
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

void append_utf8(char32_t cp, std::string* out);

// Out-of-line parts of the classes below, for code points >= U+0080.
bool is_white_space_non_ascii(char32_t cp);
bool is_bert_punctuation_non_ascii(char32_t cp);
bool is_bert_control_non_ascii(char32_t cp);

// Rust char::is_whitespace: the Unicode White_Space property (also what regex `\s` matches).
inline bool is_white_space(char32_t cp) {
  if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
  return is_white_space_non_ascii(cp);
}

// BertNormalizer's is_whitespace: White_Space, which already holds \t \n \r.
inline bool is_bert_whitespace(char32_t cp) { return is_white_space(cp); }

// BertNormalizer's is_control: categories Cc, Cf, Co, Cs except \t \n \r. Unassigned code
// points (Cn) are not controls: the Rust library keeps them.
inline bool is_bert_control(char32_t cp) {
  if (cp < 0x80) return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7F;
  return is_bert_control_non_ascii(cp);
}

// BertPreTokenizer's punctuation: ASCII punctuation (including symbols such as $ + < = > ^ ` | ~)
// or a Unicode punctuation category (Pc Pd Pe Pf Pi Po Ps).
inline bool is_bert_punctuation(char32_t cp) {
  if (cp < 0x80) {
    return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) ||
           (cp >= 0x7B && cp <= 0x7E);
  }
  return is_bert_punctuation_non_ascii(cp);
}

// BertNormalizer's "chinese character": the exact ranges of the Rust source (note its gap at
// U+2B820..U+2B91F).
inline bool is_cjk_ideograph(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// Category Mn, what strip_accents removes after NFD.
bool is_nonspacing_mark(char32_t cp);

// Regex `\w` (Unicode): what AddedVocabulary's single_word check looks at.
bool is_word_char(char32_t cp);

// Canonical combining class (0 for starters).
int combining_class(char32_t cp);

}  // namespace verdict::tokenizer
