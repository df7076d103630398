// The walk every normalizing tokenizer (WordPiece, Unigram) makes over one text, as the Rust
// library's AddedVocabulary does: raw added tokens are cut out first, the rest is normalized,
// normalized added tokens are cut out of that, and what remains goes to the model.
#pragma once

#include <string_view>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/tokenizer/added_vocabulary.h"
#include "verdict/tokenizer/encoding_builder.h"
#include "verdict/tokenizer/normalizer.h"

namespace verdict::tokenizer {

// Added tokens go to out; every other piece [begin, end) of a normalized text goes to
// encode(normalized, begin, end, origin) -> Status, origin being the offset in text that the
// piece's first normalized byte came from (the whole split's start for an unsplit split).
template <class TextNormalizer, class EncodePiece>
Status for_each_model_piece(const AddedVocabulary& added, const TextNormalizer& normalizer, std::string_view text,
                            SequenceTokens* out, EncodePiece&& encode) {
  std::vector<AddedSplit> splits;
  added.split_raw(text, &splits);
  NormalizedString normalized;
  std::vector<AddedSplit> normalized_splits;
  for (const AddedSplit& split : splits) {
    if (split.token >= 0) {
      const AddedToken& token = added.tokens()[static_cast<size_t>(split.token)];
      out->push_back({token.id, Offset{split.begin, split.end}, token.special});
      continue;
    }
    normalizer.normalize(text.substr(split.begin, split.end - split.begin), split.begin, &normalized);
    if (normalized.empty()) continue;
    const auto size = static_cast<uint32_t>(normalized.text.size());
    if (!added.has_normalized_tokens()) {
      if (auto s = encode(normalized, 0u, size, split.begin); !s.ok()) return s;
      continue;
    }
    added.split_normalized(normalized.text, &normalized_splits);
    for (const AddedSplit& piece : normalized_splits) {
      if (piece.token >= 0) {
        const AddedToken& token = added.tokens()[static_cast<size_t>(piece.token)];
        out->push_back({token.id, normalized.original_range(piece.begin, piece.end), token.special});
      } else if (auto s = encode(normalized, piece.begin, piece.end, normalized.alignments[piece.begin].begin);
                 !s.ok()) {
        return s;
      }
    }
  }
  return {};
}

}  // namespace verdict::tokenizer
