// What tokenizer_config.json, special_tokens_map.json and added_tokens.json of a model folder say.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/tokenizer/added_vocabulary.h"

namespace verdict::tokenizer {

// Special tokens in the order of FolderConfig::special, and BERT's defaults for them.
inline constexpr const char* kSpecialKeys[5] = {"unk_token", "sep_token", "pad_token", "cls_token",
                                                "mask_token"};
inline constexpr const char* kSpecialDefaults[5] = {"[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"};

// The settings transformers would pass to BertTokenizer(Fast); unset fields keep its defaults.
struct FolderConfig {
  std::optional<bool> do_lower_case;
  std::optional<bool> strip_accents;
  bool strip_accents_set = false;  // present, possibly null
  std::optional<bool> tokenize_chinese_chars;
  size_t model_max_length = 512;
  // unk, sep, pad, cls, mask: nullopt when no file names them.
  std::optional<AddedToken> special[5];
  std::vector<AddedToken> extra_tokens;  // added_tokens_decoder, additional specials, added_tokens.json
};

// Reads the optional files of `dir`; errors name the file and field. model_max_length values
// above 1e6 (transformers' "no limit" sentinel) leave the default 512.
Result<FolderConfig> read_folder_config(const std::filesystem::path& dir);

// The configured content of special token `index`, or BERT's default.
std::string special_content(const FolderConfig& config, int index);

}  // namespace verdict::tokenizer
