// The SentencePiece Unigram tokenizer as the Rust tokenizers library runs XLM-RoBERTa's
// tokenizer.json: added tokens, normalizers Precompiled + Replace, pre-tokenizer Metaspace,
// model Unigram, truncation and the <s> A </s></s> B </s> template.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/tokenizer/added_vocabulary.h"
#include "verdict/tokenizer/encoding_builder.h"
#include "verdict/tokenizer/metaspace.h"
#include "verdict/tokenizer/post_processor.h"
#include "verdict/tokenizer/spm_normalizer.h"
#include "verdict/tokenizer/tokenizer.h"
#include "verdict/tokenizer/unigram.h"
#include "verdict/tokenizer/vocab.h"

namespace verdict::tokenizer {

// Everything a Unigram tokenizer is made of, whichever file it was read from.
struct UnigramTokenizerSpec {
  std::vector<UnigramPiece> pieces;  // id = position
  std::optional<int32_t> unk_id;
  bool byte_fallback = false;  // unknown pieces as <0xXX> pieces when all exist
  SpmNormalizer normalizer;
  std::optional<MetaspaceOptions> metaspace;  // nullopt: "pre_tokenizer": null
  // Matched in the text; normalized ones are matched after normalization. Ids may lie past the
  // pieces.
  std::vector<AddedToken> added_tokens;
  PostProcessor post_processor = PostProcessor::none();
  size_t model_max_length = 512;
  std::string pad_token = "<pad>";
};

class UnigramTokenizer final : public Tokenizer {
 public:
  // Errors: kCorruptModel for an empty vocabulary or an unk_id outside it.
  static Result<std::unique_ptr<UnigramTokenizer>> create(UnigramTokenizerSpec spec);

  Result<Encoding> encode(std::string_view text, std::optional<std::string_view> pair,
                          const EncodeOptions& options) const override;
  size_t vocab_size() const override { return id_limit_; }
  std::optional<int32_t> token_to_id(std::string_view token) const override;
  std::string id_to_token(int32_t id) const override;
  int32_t pad_id() const override { return pad_id_; }
  size_t model_max_length() const override { return model_max_length_; }
  std::string_view kind() const override { return "Unigram"; }

 private:
  UnigramTokenizer(UnigramTokenizerSpec spec, UnigramModel model);
  Status encode_sequence(std::string_view text, SequenceTokens* out) const;
  Status encode_normalized(const NormalizedString& normalized, uint32_t begin, uint32_t end, uint32_t base,
                           SequenceTokens* out) const;

  UnigramModel model_;
  SpmNormalizer normalizer_;
  std::optional<MetaspaceOptions> metaspace_;
  PostProcessor post_processor_;
  AddedVocabulary added_;
  Vocab added_ids_;  // added token content <-> id, looked up before the model's pieces
  size_t id_limit_ = 0;
  int32_t pad_id_ = 0;
  size_t model_max_length_ = 512;
};

}  // namespace verdict::tokenizer
