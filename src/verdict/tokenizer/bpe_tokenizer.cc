#include "verdict/tokenizer/bpe_tokenizer.h"

#include <algorithm>

namespace verdict::tokenizer {
namespace {

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

BpeTokenizer::BpeTokenizer(Bpe bpe, BpeTokenizerSpec spec)
    : bpe_(std::move(bpe)),
      spec_(std::move(spec)),
      splitter_(spec_.byte_level.use_regex),
      added_(spec_.added_tokens, Normalizer()) {
  id_limit_ = bpe_.vocab().id_limit();
  for (const AddedToken& token : added_.tokens()) {
    added_ids_.add(token.content, token.id);
    id_limit_ = std::max(id_limit_, static_cast<size_t>(token.id) + 1);
  }
  pad_id_ = token_to_id(spec_.pad_token).value_or(0);
}

std::optional<int32_t> BpeTokenizer::token_to_id(std::string_view token) const {
  if (auto id = added_ids_.find(token)) return id;
  return bpe_.vocab().find(token);
}

std::string BpeTokenizer::id_to_token(int32_t id) const {
  if (const std::string& added = added_ids_.token(id); !added.empty()) return added;
  return bpe_.vocab().token(id);
}

// Byte-level BPE of text that holds no added token; `base` is its offset in the sequence.
void BpeTokenizer::encode_text(std::string_view text, uint32_t base, Sequence* out) const {
  if (text.empty()) return;
  // add_prefix_space prepends a space (per piece between added tokens) unless one is there; it
  // takes the alignment of the first character, as Rust's NormalizedString::prepend does.
  const bool prefix = spec_.byte_level.add_prefix_space && text.front() != ' ';
  std::string prefixed;
  std::string_view subject = text;
  if (prefix) {
    prefixed.reserve(text.size() + 1);
    prefixed.push_back(' ');
    prefixed.append(text);
    subject = prefixed;
  }
  size_t first_char_end = 1;
  while (first_char_end < text.size() && is_continuation(text[first_char_end])) ++first_char_end;
  // Original range of subject byte i: the whole character it belongs to (every byte of a
  // multi-byte character maps to that character in Rust's alignments).
  auto char_begin = [&](size_t i) -> uint32_t {
    if (prefix) {
      if (i == 0) return base;
      --i;
    }
    while (i > 0 && is_continuation(text[i])) --i;
    return base + static_cast<uint32_t>(i);
  };
  auto char_end = [&](size_t i) -> uint32_t {  // i: last byte of the token
    if (prefix) {
      if (i == 0) return base + static_cast<uint32_t>(first_char_end);
      --i;
    }
    ++i;
    while (i < text.size() && is_continuation(text[i])) ++i;
    return base + static_cast<uint32_t>(i);
  };

  std::vector<ByteLevelWord> words;
  splitter_.split(subject, &words);
  std::vector<BpeToken> tokens;
  for (const ByteLevelWord& word : words) {
    tokens.clear();
    bpe_.tokenize(subject.substr(word.begin, word.end - word.begin), &tokens);
    for (const BpeToken& t : tokens) {
      // Spaces are the only bytes whose byte-level characters are 'Ġ' or whitespace.
      SpaceCounts spaces;
      const size_t b = word.begin + t.begin, e = word.begin + t.end;
      while (b + spaces.leading < e && subject[b + spaces.leading] == ' ') ++spaces.leading;
      while (e - spaces.trailing > b && subject[e - 1 - spaces.trailing] == ' ') ++spaces.trailing;
      out->push({t.id, Offset{char_begin(word.begin + t.begin), char_end(word.begin + t.end - 1)}, false},
                spaces);
    }
  }
}

void BpeTokenizer::encode_sequence(std::string_view text, Sequence* out) const {
  std::vector<AddedSplit> splits;
  std::vector<AddedSplit> normalized_splits;
  added_.split_raw(text, &splits);
  for (const AddedSplit& split : splits) {
    if (split.token >= 0) {
      const AddedToken& token = added_.tokens()[static_cast<size_t>(split.token)];
      // Rust's token is the matched text, with the whitespace lstrip/rstrip took.
      out->push({token.id, Offset{split.begin, split.end}, token.special},
                byte_level_spaces(text.substr(split.begin, split.end - split.begin)));
      continue;
    }
    const std::string_view piece = text.substr(split.begin, split.end - split.begin);
    if (!added_.has_normalized_tokens()) {
      encode_text(piece, split.begin, out);
      continue;
    }
    // No normalizer: "normalized" tokens are matched in the same text, after the raw ones.
    added_.split_normalized(piece, &normalized_splits);
    for (const AddedSplit& inner : normalized_splits) {
      if (inner.token >= 0) {
        const AddedToken& token = added_.tokens()[static_cast<size_t>(inner.token)];
        out->push({token.id, Offset{split.begin + inner.begin, split.begin + inner.end}, token.special},
                  byte_level_spaces(piece.substr(inner.begin, inner.end - inner.begin)));
      } else {
        encode_text(piece.substr(inner.begin, inner.end - inner.begin), split.begin + inner.begin, out);
      }
    }
  }
}

// RobertaProcessing's process_offsets: leading/trailing byte-level spaces leave the offsets.
// `spaces` runs beside the untruncated tokens; truncation only drops tokens from the end.
void BpeTokenizer::trim_offsets(const std::vector<SpaceCounts>& spaces_of, SequenceTokens* tokens) const {
  for (size_t i = 0; i < tokens->size(); ++i) {
    SequenceToken& p = (*tokens)[i];
    SpaceCounts spaces = spaces_of[i];
    if (spaces.leading == 0 && spaces.trailing == 0) continue;
    if (spaces.leading > 0) {
      const bool is_first = i == 0 || p.offset.begin == 0;
      // The one space add_prefix_space put there belongs to the word.
      if (is_first && spec_.trim_add_prefix_space && spaces.leading == 1) spaces.leading = 0;
      p.offset.begin = std::min(p.offset.begin + spaces.leading, p.offset.end);
    }
    if (spaces.trailing > 0 && p.offset.end >= spaces.trailing) {
      p.offset.end = std::max(p.offset.end - spaces.trailing, p.offset.begin);
    }
  }
}

Result<Encoding> BpeTokenizer::encode(std::string_view text, std::optional<std::string_view> pair,
                                      const EncodeOptions& options) const {
  if (auto error = check_input_utf8(text, "text")) return *error;
  if (pair) {
    if (auto error = check_input_utf8(*pair, "text pair")) return *error;
  }
  Sequence seq[2];
  encode_sequence(text, &seq[0]);
  if (pair) encode_sequence(*pair, &seq[1]);

  // Rust trims after truncation, each sequence on its own.
  TruncatedSequenceHook trim;
  if (spec_.trim_offsets) {
    trim = [&](size_t i, SequenceTokens* tokens) { trim_offsets(seq[i].spaces, tokens); };
  }
  return build_encoding(spec_.post_processor, std::move(seq[0].tokens), pair ? &seq[1].tokens : nullptr,
                        options, [this](int32_t id) { return id_to_token(id); }, trim);
}

}  // namespace verdict::tokenizer
