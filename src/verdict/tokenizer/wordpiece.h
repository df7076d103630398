// The WordPiece model of the Rust tokenizers library: greedy longest-match-first with a
// continuing-subword prefix; a word that is too long or cannot be covered becomes [UNK].
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "verdict/tokenizer/vocab.h"

namespace verdict::tokenizer {

struct WordPieceOptions {
  std::string unk_token = "[UNK]";
  std::string continuing_subword_prefix = "##";
  size_t max_input_chars_per_word = 100;
};

// A sub-token: its id and byte range [begin, end) within the word.
struct SubToken {
  int32_t id = 0;
  uint32_t begin = 0;
  uint32_t end = 0;
  bool operator==(const SubToken&) const = default;
};

class WordPiece {
 public:
  // `unk_id` is the id of options.unk_token in `vocab` (checked by the caller).
  WordPiece(const Vocab* vocab, WordPieceOptions options, int32_t unk_id)
      : vocab_(vocab), options_(std::move(options)), unk_id_(unk_id) {}

  // Appends the sub-tokens of `word` (valid UTF-8, non-empty). `scratch` avoids an allocation
  // per word.
  void tokenize(std::string_view word, std::vector<SubToken>* out, std::string* scratch) const;

  const WordPieceOptions& options() const { return options_; }
  int32_t unk_id() const { return unk_id_; }

 private:
  const Vocab* vocab_;
  WordPieceOptions options_;
  int32_t unk_id_;
};

}  // namespace verdict::tokenizer
