// The byte-level BPE tokenizer of RoBERTa (and GPT-2): added tokens, the ByteLevel
// pre-tokenizer, BPE, truncation and the <s> A </s></s> B </s> template, reproducing the Rust
// tokenizers library. Read from tokenizer.json or from vocab.json + merges.txt.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/tokenizer/added_vocabulary.h"
#include "verdict/tokenizer/bpe.h"
#include "verdict/tokenizer/byte_level.h"
#include "verdict/tokenizer/encoding_builder.h"
#include "verdict/tokenizer/folder_config.h"
#include "verdict/tokenizer/json_fields.h"
#include "verdict/tokenizer/post_processor.h"
#include "verdict/tokenizer/tokenizer.h"

namespace verdict::tokenizer {

struct ByteLevelOptions {
  bool add_prefix_space = false;
  bool use_regex = true;
};

struct BpeTokenizerSpec {
  ByteLevelOptions byte_level;
  std::vector<AddedToken> added_tokens;
  PostProcessor post_processor = PostProcessor::none();
  bool trim_offsets = false;            // RobertaProcessing / ByteLevel post-processor
  bool trim_add_prefix_space = false;   // the post-processor's add_prefix_space
  size_t model_max_length = 512;
  std::string pad_token = "<pad>";
};

class BpeTokenizer final : public Tokenizer {
 public:
  BpeTokenizer(Bpe bpe, BpeTokenizerSpec spec);

  Result<Encoding> encode(std::string_view text, std::optional<std::string_view> pair,
                          const EncodeOptions& options) const override;
  size_t vocab_size() const override { return id_limit_; }
  std::optional<int32_t> token_to_id(std::string_view token) const override;
  std::string id_to_token(int32_t id) const override;
  int32_t pad_id() const override { return pad_id_; }
  size_t model_max_length() const override { return spec_.model_max_length; }
  std::string_view kind() const override { return "BPE"; }

 private:
  // The tokens of one sequence and, beside each, the spaces at the ends of its text (for
  // trim_offsets, which runs after truncation inside build_encoding).
  struct Sequence {
    SequenceTokens tokens;
    std::vector<SpaceCounts> spaces;
    void push(SequenceToken token, SpaceCounts token_spaces) {
      tokens.push_back(token);
      spaces.push_back(token_spaces);
    }
  };
  void encode_sequence(std::string_view text, Sequence* out) const;
  void encode_text(std::string_view text, uint32_t base, Sequence* out) const;
  void trim_offsets(const std::vector<SpaceCounts>& spaces, SequenceTokens* tokens) const;

  Bpe bpe_;
  BpeTokenizerSpec spec_;
  ByteLevelSplitter splitter_;
  AddedVocabulary added_;
  Vocab added_ids_;
  size_t id_limit_ = 0;
  int32_t pad_id_ = 1;
};

// RoBERTa's special tokens when no file names them (index as FolderConfig::special: unk, sep,
// pad, cls, mask).
inline constexpr const char* kRobertaSpecialDefaults[5] = {"<unk>", "</s>", "<pad>", "<s>", "<mask>"};

// The tokenizer RobertaTokenizerFast builds from vocab.json + merges.txt of `dir` with its
// configs. Errors name the file (and line of merges.txt).
Result<std::unique_ptr<Tokenizer>> load_bpe_files(const std::filesystem::path& dir, const FolderConfig& config);

// A tokenizer.json whose model is BPE (pre-tokenizer ByteLevel, post-processor RobertaProcessing,
// ByteLevel, TemplateProcessing or null, no normalizer).
Result<std::unique_ptr<Tokenizer>> load_bpe_tokenizer_json(const JsonFile& file, const FolderConfig& config);

}  // namespace verdict::tokenizer
