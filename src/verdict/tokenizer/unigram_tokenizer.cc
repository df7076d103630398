#include "verdict/tokenizer/unigram_tokenizer.h"

#include <algorithm>
#include <limits>

#include "verdict/tokenizer/added_then_normalized.h"
#include "verdict/tokenizer/encoding_builder.h"
#include "verdict/tokenizer/unicode_util.h"

namespace verdict::tokenizer {
namespace {

// Normalized added tokens are matched in normalized text, so their patterns are normalized with
// this tokenizer's normalizer here (AddedVocabulary then sees them as already normalized).
std::vector<AddedToken> with_normalized_patterns(std::vector<AddedToken> tokens,
                                                 const SpmNormalizer& normalizer) {
  NormalizedString normalized;
  for (AddedToken& token : tokens) {
    if (!token.normalized) continue;
    normalizer.normalize(token.content, 0, &normalized);
    token.content = normalized.text;
  }
  return tokens;
}

}  // namespace

Result<std::unique_ptr<UnigramTokenizer>> UnigramTokenizer::create(UnigramTokenizerSpec spec) {
  auto model = UnigramModel::create(std::move(spec.pieces), spec.unk_id, spec.byte_fallback);
  if (!model.ok()) return model.error();
  return std::unique_ptr<UnigramTokenizer>(new UnigramTokenizer(std::move(spec), std::move(model).value()));
}

UnigramTokenizer::UnigramTokenizer(UnigramTokenizerSpec spec, UnigramModel model)
    : model_(std::move(model)),
      normalizer_(std::move(spec.normalizer)),
      metaspace_(std::move(spec.metaspace)),
      post_processor_(std::move(spec.post_processor)),
      added_(with_normalized_patterns(spec.added_tokens, normalizer_), Normalizer()),
      model_max_length_(spec.model_max_length) {
  id_limit_ = model_.size();
  for (const AddedToken& token : spec.added_tokens) {
    if (added_ids_.find(token.content)) continue;
    added_ids_.add(token.content, token.id);
    id_limit_ = std::max(id_limit_, static_cast<size_t>(token.id) + 1);
  }
  pad_id_ = token_to_id(spec.pad_token).value_or(0);
}

std::optional<int32_t> UnigramTokenizer::token_to_id(std::string_view token) const {
  if (auto id = added_ids_.find(token)) return id;
  return model_.find(token);
}

std::string UnigramTokenizer::id_to_token(int32_t id) const {
  if (const std::string& added = added_ids_.token(id); !added.empty()) return added;
  if (id >= 0 && static_cast<size_t>(id) < model_.size()) return model_.piece(id);
  return {};
}

Status UnigramTokenizer::encode_normalized(const NormalizedString& normalized, uint32_t begin, uint32_t end,
                                           uint32_t base, SequenceTokens* out) const {
  NormalizedString piece;
  piece.text.assign(normalized.text, begin, end - begin);
  piece.alignments.assign(normalized.alignments.begin() + begin, normalized.alignments.begin() + end);
  std::vector<WordSpan> words;
  if (metaspace_) {
    metaspace(*metaspace_, base, &piece, &words);
  } else if (!piece.empty()) {
    words.push_back({0, static_cast<uint32_t>(piece.text.size())});
  }
  std::vector<SubToken> subs;
  const std::string_view text = piece.text;
  for (const WordSpan& word : words) {
    subs.clear();
    if (auto s = model_.tokenize(text.substr(word.begin, word.end - word.begin), &subs); !s.ok()) return s;
    for (const SubToken& sub : subs) {
      out->push_back({sub.id, piece.original_range(word.begin + sub.begin, word.begin + sub.end), false});
    }
  }
  return {};
}

Status UnigramTokenizer::encode_sequence(std::string_view text, SequenceTokens* out) const {
  return for_each_model_piece(added_, normalizer_, text, out,
                              [&](const NormalizedString& normalized, uint32_t begin, uint32_t end, uint32_t origin) {
                                return encode_normalized(normalized, begin, end, origin, out);
                              });
}

Result<Encoding> UnigramTokenizer::encode(std::string_view text, std::optional<std::string_view> pair,
                                          const EncodeOptions& options) const {
  if (auto error = check_input_utf8(text, "text")) return *error;
  if (pair) {
    if (auto error = check_input_utf8(*pair, "text pair")) return *error;
  }
  SequenceTokens a, b;
  if (auto s = encode_sequence(text, &a); !s.ok()) return s.error();
  if (pair) {
    if (auto s = encode_sequence(*pair, &b); !s.ok()) return s.error();
  }
  return build_encoding(post_processor_, std::move(a), pair ? &b : nullptr, options,
                        [this](int32_t id) { return id_to_token(id); });
}

}  // namespace verdict::tokenizer
