#include "encoding_checks.h"

#include <algorithm>
#include <string>
#include <vector>

#include "fuzz_util.h"

namespace verdict::fuzz {
namespace {

using tokenizer::EncodeOptions;
using tokenizer::Encoding;
using tokenizer::Offset;

bool is_char_boundary(std::string_view s, size_t i) {
  return i == s.size() || (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80);
}

std::string describe(const char* what, size_t i) {
  return std::string(what) + ", token " + std::to_string(i);
}

void check_encoding(const Encoding& e, std::string_view text, std::optional<std::string_view> pair,
                    const char* what) {
  const size_t n = e.ids.size();
  check(e.type_ids.size() == n && e.tokens.size() == n && e.offsets.size() == n && e.special.size() == n &&
            e.sequence.size() == n,
        what, ": fields of different lengths");
  check(e.untruncated_length >= n, what, ": untruncated_length below the length");
  // Messages are built only on failure: this loop runs for every token of every encoding.
  for (size_t i = 0; i < n; ++i) {
    const int seq = e.sequence[i];
    if (seq < -1 || seq > (pair ? 1 : 0)) fail(describe(what, i) + ": bad sequence index");
    if (seq < 0) {
      if (!(e.offsets[i] == Offset{}) || e.special[i] != 1)
        fail(describe(what, i) + ": template token with offsets");
      continue;
    }
    const std::string_view s = seq == 0 ? text : *pair;
    const Offset o = e.offsets[i];
    if (o.begin > o.end || o.end > s.size()) fail(describe(what, i) + ": offsets outside the text");
    if (!is_char_boundary(s, o.begin) || !is_char_boundary(s, o.end)) {
      fail(describe(what, i) + ": offsets inside a UTF-8 char");
    }
  }
}

// Ids of sequence `seq` (0, 1; -1 for the template's tokens).
std::vector<int32_t> ids_of(const Encoding& e, int seq) {
  std::vector<int32_t> out;
  for (size_t i = 0; i < e.ids.size(); ++i) {
    if (e.sequence[i] == seq) out.push_back(e.ids[i]);
  }
  return out;
}

bool is_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

bool is_suffix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  return a.size() <= b.size() && std::equal(a.rbegin(), a.rend(), b.rbegin());
}

Encoding encode_ok(const tokenizer::Tokenizer& tok, std::string_view text,
                   std::optional<std::string_view> pair, const EncodeOptions& options, const char* what) {
  auto e = tok.encode(text, pair, options);
  if (!e.ok()) fail(std::string(what) + ": valid UTF-8 refused: " + e.error().message);
  check_encoding(*e, text, pair, what);
  return std::move(e).value();
}

// Special tokens, accents, CJK, controls, a word past max_input_chars_per_word, a dotted I.
const std::string_view kFixedTexts[] = {
    "Hello, my dog is cute",
    "[CLS] [MASK]ed [SEP][UNK] [PAD]",
    "H\xc3\xa9llo, w\xc3\xb6rld! \xe4\xbd\xa0\xe5\xa5\xbd e\xcc\x81\xcc\xa7 \xc4\xb0stanbul",
    " \t\r\n\x01\xef\xbf\xbd ",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aa",
    "",
};

}  // namespace

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b < 0x80)
      len = 1;
    else if (b >= 0xC2 && b <= 0xDF)
      len = 2;
    else if (b == 0xE0)
      len = 3, lo = 0xA0;
    else if (b == 0xED)
      len = 3, hi = 0x9F;
    else if (b >= 0xE1 && b <= 0xEF)
      len = 3;
    else if (b == 0xF0)
      len = 4, lo = 0x90;
    else if (b >= 0xF1 && b <= 0xF3)
      len = 4;
    else if (b == 0xF4)
      len = 4, hi = 0x8F;
    else
      return false;
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return false;
    }
    i += len;
  }
  return true;
}

void check_encodings(const tokenizer::Tokenizer& tok, std::string_view text,
                     std::optional<std::string_view> pair, size_t tiny_max_length) {
  const bool valid = is_valid_utf8(text) && (!pair || is_valid_utf8(*pair));
  EncodeOptions untruncated;
  untruncated.truncate = false;
  if (!valid) {
    for (const EncodeOptions& options : {untruncated, EncodeOptions{}}) {
      auto e = tok.encode(text, pair, options);
      check(!e.ok() && e.error().code == ErrorCode::kInvalidArgument, "invalid UTF-8 accepted");
    }
    return;
  }
  const Encoding full = encode_ok(tok, text, pair, untruncated, "untruncated");
  check(full.untruncated_length == full.ids.size(), "untruncated: untruncated_length differs");
  const size_t added = ids_of(full, -1).size();

  // Truncation keeps a prefix of each sequence (a suffix when cutting from the left, by the same
  // lengths) and exactly the budget (never fewer than the template's own tokens).
  for (const size_t max_length : {size_t{512}, tiny_max_length}) {
    EncodeOptions options;
    options.max_length = max_length;
    const Encoding cut = encode_ok(tok, text, pair, options, "truncated");
    const char* at = "truncated at ";
    check(cut.untruncated_length == full.ids.size(), at, max_length, ": untruncated_length differs");
    check(cut.ids.size() == std::max(std::min(full.ids.size(), max_length), added), at, max_length,
          ": wrong length");
    check(ids_of(cut, -1) == ids_of(full, -1), at, max_length, ": template tokens differ");
    check(is_prefix(ids_of(cut, 0), ids_of(full, 0)), at, max_length, ": text is not a prefix");
    check(is_prefix(ids_of(cut, 1), ids_of(full, 1)), at, max_length, ": pair is not a prefix");
    if (full.ids.size() <= max_length) check(cut.offsets == full.offsets, at, max_length, ": offsets differ");
    options.truncate_left = true;
    const Encoding left = encode_ok(tok, text, pair, options, "truncated from the left");
    at = "truncated from the left at ";
    check(left.untruncated_length == full.ids.size(), at, max_length, ": untruncated_length differs");
    check(ids_of(left, -1) == ids_of(full, -1), at, max_length, ": template tokens differ");
    for (int s : {0, 1}) {
      check(ids_of(left, s).size() == ids_of(cut, s).size(), at, max_length, ": another length than from the right");
      check(is_suffix(ids_of(left, s), ids_of(full, s)), at, max_length, ": a sequence is not a suffix");
    }
    if (full.ids.size() <= max_length) check(left.offsets == full.offsets, at, max_length, ": offsets differ");
  }

  EncodeOptions plain = untruncated;
  plain.add_special_tokens = false;
  const Encoding bare = encode_ok(tok, text, pair, plain, "no special tokens");
  std::vector<int32_t> expected;
  for (size_t i = 0; i < full.ids.size(); ++i) {
    if (full.sequence[i] >= 0) expected.push_back(full.ids[i]);
  }
  check(bare.ids == expected, "no special tokens: ids differ from the untruncated ones");
}

void check_loaded_tokenizer(const tokenizer::Tokenizer& tokenizer) {
  // The first tokens of the vocabulary, with and without spaces: added tokens and WordPiece
  // pieces as the file defines them.
  std::string spaced, glued;
  for (int32_t id = 0; id < 48 && static_cast<size_t>(id) < tokenizer.vocab_size(); ++id) {
    const std::string token = tokenizer.id_to_token(id);
    spaced += token + " ";
    glued += token;
  }
  for (const std::string_view text : kFixedTexts) check_encodings(tokenizer, text, std::nullopt, 3);
  check_encodings(tokenizer, spaced, glued, 5);
  check_encodings(tokenizer, glued, std::nullopt, 2);
}

}  // namespace verdict::fuzz
