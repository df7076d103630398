// The BERT tokenizer pipeline: added tokens, BertNormalizer, BertPreTokenizer, WordPiece,
// truncation and the [CLS]/[SEP] template, reproducing the Rust tokenizers library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/tokenizer/added_vocabulary.h"
#include "verdict/tokenizer/encoding_builder.h"
#include "verdict/tokenizer/normalizer.h"
#include "verdict/tokenizer/post_processor.h"
#include "verdict/tokenizer/pre_tokenizer.h"
#include "verdict/tokenizer/tokenizer.h"
#include "verdict/tokenizer/vocab.h"
#include "verdict/tokenizer/wordpiece.h"

namespace verdict::tokenizer {

// Everything a BERT tokenizer is made of, whichever file it was read from.
struct BertTokenizerSpec {
  Vocab vocab;  // the WordPiece model's vocabulary
  WordPieceOptions wordpiece;
  std::optional<BertNormalizerOptions> normalizer;  // nullopt: no normalizer
  PreTokenizerKind pre_tokenizer = PreTokenizerKind::kBert;
  std::vector<AddedToken> added_tokens;  // matched in the text; ids may lie past the vocab
  PostProcessor post_processor = PostProcessor::none();
  size_t model_max_length = 512;
  std::string pad_token = "[PAD]";
};

class BertTokenizer final : public Tokenizer {
 public:
  // Errors: kCorruptModel when the unk token is not in the vocabulary.
  static Result<std::unique_ptr<BertTokenizer>> create(BertTokenizerSpec spec);
  BertTokenizer(const BertTokenizer&) = delete;  // wordpiece_ points into spec_
  BertTokenizer& operator=(const BertTokenizer&) = delete;

  Result<Encoding> encode(std::string_view text, std::optional<std::string_view> pair,
                          const EncodeOptions& options) const override;
  size_t vocab_size() const override { return id_limit_; }
  std::optional<int32_t> token_to_id(std::string_view token) const override;
  std::string id_to_token(int32_t id) const override;
  int32_t pad_id() const override { return pad_id_; }
  size_t model_max_length() const override { return model_max_length_; }
  std::string_view kind() const override { return "WordPiece"; }

  const Normalizer& normalizer() const { return normalizer_; }

 private:
  explicit BertTokenizer(BertTokenizerSpec spec, int32_t unk_id);
  // Tokens of one sequence: added tokens, then normalize / pre-tokenize / WordPiece between them.
  void encode_sequence(std::string_view text, SequenceTokens* out) const;
  void encode_normalized(const NormalizedString& normalized, uint32_t begin, uint32_t end,
                         SequenceTokens* out) const;

  BertTokenizerSpec spec_;
  Normalizer normalizer_;
  WordPiece wordpiece_;
  AddedVocabulary added_;
  Vocab added_ids_;  // added token content <-> id, looked up before the model's vocabulary
  size_t id_limit_ = 0;
  int32_t pad_id_ = 0;
  size_t model_max_length_ = 512;
};

// Options of a vocab.txt tokenizer (tokenizer_config.json of BertTokenizer).
struct BertVocabOptions {
  bool do_lower_case = true;
  std::optional<bool> strip_accents;
  bool tokenize_chinese_chars = true;
  std::string unk_token = "[UNK]";
  std::string sep_token = "[SEP]";
  std::string pad_token = "[PAD]";
  std::string cls_token = "[CLS]";
  std::string mask_token = "[MASK]";
  std::vector<AddedToken> extra_tokens;  // additional special / added tokens (id < 0: assign)
  size_t model_max_length = 512;
};

// Builds the tokenizer transformers' BertTokenizerFast makes from a vocab.txt.
// Errors: kNotFound / kInvalidArgument for the file, kCorruptModel for a vocab without the unk token.
Result<std::unique_ptr<Tokenizer>> load_bert_vocab(const std::filesystem::path& vocab_file,
                                                   const BertVocabOptions& options);

// Same, from vocab.txt contents already in memory (`source` names it in errors).
Result<std::unique_ptr<Tokenizer>> make_bert_tokenizer(std::string_view vocab_text,
                                                       const BertVocabOptions& options,
                                                       const std::string& source);

}  // namespace verdict::tokenizer
