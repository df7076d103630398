#include "verdict/tokenizer/byte_level.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdexcept>

#include "verdict/tokenizer/unicode_util.h"

namespace verdict::tokenizer {
namespace {

// The pattern of GPT-2's encoder.py, which the Rust ByteLevel pre-tokenizer uses unchanged.
constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

std::array<char32_t, 256> make_byte_table() {
  std::array<char32_t, 256> table{};
  std::array<bool, 256> printable{};
  for (int b = '!'; b <= '~'; ++b) printable[b] = true;
  for (int b = 0xA1; b <= 0xAC; ++b) printable[b] = true;
  for (int b = 0xAE; b <= 0xFF; ++b) printable[b] = true;
  char32_t next = 0x100;
  for (int b = 0; b < 256; ++b) table[b] = printable[b] ? static_cast<char32_t>(b) : next++;
  return table;
}

}  // namespace

const std::array<char32_t, 256>& byte_to_unicode() {
  static const std::array<char32_t, 256> table = make_byte_table();
  return table;
}

std::string byte_level_string(std::string_view bytes) {
  const auto& table = byte_to_unicode();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) append_utf8(table[static_cast<unsigned char>(c)], &out);
  return out;
}

struct ByteLevelSplitter::Regex {
  pcre2_code* code = nullptr;
  ~Regex() { pcre2_code_free(code); }
};

ByteLevelSplitter::ByteLevelSplitter(bool use_regex) {
  if (!use_regex) return;
  regex_ = std::make_unique<Regex>();
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  // UTF: match code points; UCP: \s, \p{L} and friends by Unicode properties, as Oniguruma does.
  regex_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kGpt2Pattern), PCRE2_ZERO_TERMINATED,
                               PCRE2_UTF | PCRE2_UCP, &error, &error_offset, nullptr);
  if (!regex_->code) throw std::runtime_error("PCRE2 rejected the GPT-2 pattern");
  pcre2_jit_compile(regex_->code, PCRE2_JIT_COMPLETE);  // optional speed-up; falls back silently
}

ByteLevelSplitter::~ByteLevelSplitter() = default;

void ByteLevelSplitter::split(std::string_view text, std::vector<ByteLevelWord>* out) const {
  out->clear();
  if (text.empty()) return;
  if (!regex_) {
    out->push_back({0, static_cast<uint32_t>(text.size())});
    return;
  }
  pcre2_match_data* match = pcre2_match_data_create_from_pattern(regex_->code, nullptr);
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t pos = 0;
  while (pos < text.size()) {
    const int rc = pcre2_match(regex_->code, subject, text.size(), pos, PCRE2_NO_UTF_CHECK, match, nullptr);
    if (rc < 0) break;
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match);
    const size_t begin = ovector[0], end = ovector[1];
    if (end <= begin) break;  // the pattern has no empty matches; never loop on one
    // Rust's split keeps what lies between matches as words too (the pattern leaves no gaps).
    if (begin > pos) out->push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(begin)});
    out->push_back({static_cast<uint32_t>(begin), static_cast<uint32_t>(end)});
    pos = end;
  }
  if (pos < text.size()) out->push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(text.size())});
  pcre2_match_data_free(match);
}

SpaceCounts byte_level_spaces(std::string_view token) {
  const char32_t space = byte_to_unicode()[' '];
  std::vector<char32_t> chars;
  for (size_t pos = 0; pos < token.size();) chars.push_back(next_code_point(token, &pos));
  auto is_space = [&](char32_t c) { return c == space || is_white_space(c); };
  SpaceCounts counts;
  while (counts.leading < chars.size() && is_space(chars[counts.leading])) ++counts.leading;
  while (counts.trailing < chars.size() && is_space(chars[chars.size() - 1 - counts.trailing])) ++counts.trailing;
  return counts;
}

}  // namespace verdict::tokenizer
