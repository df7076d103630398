// The tokenizer seam: text (and an optional pair) in, ids + offsets out, exactly as the
// Hugging Face "fast" (Rust) tokenizer that the transformers pipeline runs.
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

namespace verdict::tokenizer {

// Byte range [begin, end) into the string of the token's own sequence (text or text_pair).
// Tokens added by the post-processor ([CLS], [SEP]) have {0, 0}.
struct Offset {
  uint32_t begin = 0;
  uint32_t end = 0;
  bool operator==(const Offset&) const = default;
};

struct Encoding {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;    // token_type_ids: 0 for the text, 1 for the pair (BERT)
  std::vector<std::string> tokens;  // vocabulary strings of ids
  std::vector<Offset> offsets;
  std::vector<uint8_t> special;     // 1 for special tokens (added by the template or found in text)
  std::vector<int8_t> sequence;     // 0 text, 1 text_pair, -1 added by the template
  size_t untruncated_length = 0;    // ids (specials included) the input would have untruncated
  bool truncated() const { return untruncated_length > ids.size(); }
};

struct EncodeOptions {
  bool add_special_tokens = true;
  bool truncate = true;     // transformers' pipeline would fail instead; Verdict truncates
  size_t max_length = 512;  // total ids including special tokens
  bool truncate_left = false;  // cut from the start, keeping the end (Rust's TruncationDirection::Left)
};

// Immutable after loading; encode() is thread-safe.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // Errors: kInvalidArgument for text that is not valid UTF-8 (message names the byte offset).
  virtual Result<Encoding> encode(std::string_view text, std::optional<std::string_view> pair,
                                  const EncodeOptions& options) const = 0;
  virtual size_t vocab_size() const = 0;
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;
  virtual std::string id_to_token(int32_t id) const = 0;
  virtual int32_t pad_id() const = 0;
  // tokenizer_config.json's model_max_length when sane, else 512.
  virtual size_t model_max_length() const = 0;
  // "WordPiece", ... for `verdict info` and /info.
  virtual std::string_view kind() const = 0;
};

// Loads the tokenizer of a Hugging Face model folder: tokenizer.json when present, else
// vocab.txt with tokenizer_config.json / special_tokens_map.json. Errors name the file and field.
Result<std::unique_ptr<Tokenizer>> load_tokenizer(const std::filesystem::path& model_dir);

}  // namespace verdict::tokenizer
