// The Unigram model of the Rust tokenizers library: the best-scoring segmentation of a word into
// vocabulary pieces (Viterbi over a byte trie of the pieces), unknown chars scored min - 10 and
// runs of them fused into one unknown token.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/tokenizer/vocab.h"
#include "verdict/tokenizer/wordpiece.h"

namespace verdict::tokenizer {

struct UnigramPiece {
  std::string piece;
  double score = 0;
};

class UnigramModel {
 public:
  // Ids are positions in `pieces`. Errors: kCorruptModel for an empty vocabulary or an unk_id
  // outside it. Without unk_id, a word with a char no piece covers is an error at encode time.
  // With `byte_fallback`, a token that is no piece becomes the pieces <0xXX> of its bytes when
  // they all exist (each with the whole token's range), else the unknown token.
  static Result<UnigramModel> create(std::vector<UnigramPiece> pieces, std::optional<int32_t> unk_id,
                                     bool byte_fallback = false);

  // Appends the tokens of `word` (valid UTF-8, non-empty); ranges are bytes of `word`.
  // Errors: kInvalidArgument when a char is not covered and there is no unk_id.
  Status tokenize(std::string_view word, std::vector<SubToken>* out) const;

  size_t size() const { return pieces_.size(); }
  const std::string& piece(int32_t id) const { return pieces_[static_cast<size_t>(id)].piece; }
  double score(int32_t id) const { return pieces_[static_cast<size_t>(id)].score; }
  // The id Rust's token_to_ids map gives: for a piece listed twice, the later one.
  std::optional<int32_t> find(std::string_view piece) const { return ids_.find(piece); }
  std::optional<int32_t> unk_id() const { return unk_id_; }
  double min_score() const { return min_score_; }

 private:
  // A byte trie of the pieces in flat arrays (a node's children are contiguous and sorted by
  // byte): ~10 bytes a node, so a 250k-piece vocabulary stays small.
  struct TrieNode {
    uint32_t first_child = 0;
    uint16_t num_children = 0;
    unsigned char label = 0;
    int32_t id = -1;  // the piece ending here (the id the map gives it), or -1
  };
  void build_trie();
  int32_t child(int32_t node, unsigned char byte) const;

  std::vector<UnigramPiece> pieces_;
  Vocab ids_;
  std::vector<TrieNode> trie_;
  std::optional<int32_t> unk_id_;
  bool byte_fallback_ = false;
  double min_score_ = 0;
};

}  // namespace verdict::tokenizer
