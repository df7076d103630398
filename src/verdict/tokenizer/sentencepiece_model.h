// A SentencePiece model file (sentencepiece.bpe.model, a ModelProto) turned into the tokenizer
// transformers' XLMRobertaConverter builds from it: the fairseq ids (<s> 0, <pad> 1, </s> 2,
// <unk> 3, pieces + 1, <mask> last), the model's charsmap then " {2,}" → " ", Metaspace, Unigram,
// <s> A </s></s> B </s>.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/tokenizer/folder_config.h"
#include "verdict/tokenizer/tokenizer.h"

namespace verdict::tokenizer {

// The fields of a ModelProto the conversion reads.
struct SentencePieceModel {
  struct Piece {
    std::string piece;
    float score = 0;
    int type = 1;  // NORMAL 1, UNKNOWN 2, CONTROL 3, USER_DEFINED 4, UNUSED 5, BYTE 6
  };
  std::vector<Piece> pieces;
  int model_type = 1;  // UNIGRAM 1, BPE 2, WORD 3, CHAR 4
  bool byte_fallback = false;
  std::string precompiled_charsmap;  // empty when the model has none
};

// Reads the protobuf wire format (only the fields above; others are skipped). Errors:
// kCorruptModel naming the byte offset for truncated or malformed data.
Result<SentencePieceModel> parse_sentencepiece_model(std::string_view bytes);

// The converted tokenizer; `source` names the file in errors. Errors: kUnsupported for a model
// that is not Unigram, kCorruptModel for one with fewer than 3 pieces or a bad charsmap.
Result<std::unique_ptr<Tokenizer>> make_xlm_roberta_tokenizer(const SentencePieceModel& model,
                                                              const FolderConfig& config,
                                                              const std::string& source);

// Reads and converts the file.
Result<std::unique_ptr<Tokenizer>> load_sentencepiece_model(const std::filesystem::path& path,
                                                            const FolderConfig& config);

}  // namespace verdict::tokenizer
