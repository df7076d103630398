// Added (mostly special) tokens, found in the text before the model sees it, as the Rust
// AddedVocabulary does: leftmost-longest matching, non-normalized tokens against the raw text,
// normalized ones against the normalized text, with the single_word / lstrip / rstrip flags.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verdict/tokenizer/normalizer.h"

namespace verdict::tokenizer {

struct AddedToken {
  std::string content;
  int32_t id = 0;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  bool special = true;
};

// Appends `token` to `tokens` as Rust's add_tokens numbers it: nothing when one with its content is
// there already; a token the model knows (`model_id`) keeps the model's id, one with id -1 gets
// *next_id; *next_id stays above every id.
void add_token_once(AddedToken token, const std::function<std::optional<int32_t>(const std::string&)>& model_id,
                    int32_t* next_id, std::vector<AddedToken>* tokens);

// A piece of a string: [begin, end) and the index of the added token it is, or -1 for text.
struct AddedSplit {
  uint32_t begin = 0;
  uint32_t end = 0;
  int32_t token = -1;
  bool operator==(const AddedSplit&) const = default;
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  // Tokens in the order the reference lists them (specials first); a content seen twice keeps its
  // first entry. Normalized tokens are matched in their normalized form, so `normalizer` is
  // applied to them here.
  AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer& normalizer);

  const std::vector<AddedToken>& tokens() const { return tokens_; }
  bool has_normalized_tokens() const { return normalized_.has_patterns(); }

  // Splits of `text` (valid UTF-8) covering all of it, in order; empty text gives no splits.
  void split_raw(std::string_view text, std::vector<AddedSplit>* out) const { split(raw_, text, out); }
  void split_normalized(std::string_view text, std::vector<AddedSplit>* out) const {
    split(normalized_, text, out);
  }

 private:
  // A byte trie of the patterns, walked from every start position (leftmost-longest).
  class Matcher {
   public:
    void add(std::string_view pattern, int32_t token);
    bool has_patterns() const { return has_patterns_; }
    // Longest pattern starting at text[pos]: sets *end and returns its token, or -1.
    int32_t longest_at(std::string_view text, size_t pos, size_t* end) const;

   private:
    struct Node {
      std::vector<std::pair<unsigned char, int32_t>> children;  // sorted by byte
      int32_t token = -1;
    };
    int32_t child(int32_t node, unsigned char byte) const;
    std::vector<Node> nodes_{1};
    std::array<bool, 256> first_byte_{};
    bool has_patterns_ = false;
  };

  void split(const Matcher& matcher, std::string_view text, std::vector<AddedSplit>* out) const;

  std::vector<AddedToken> tokens_;
  Matcher raw_;
  Matcher normalized_;
};

}  // namespace verdict::tokenizer
