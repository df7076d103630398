// The BPE model of the Rust tokenizers library on byte-level words: each byte starts as the
// vocabulary token of its byte-level character, then the adjacent pair of lowest merge rank is
// merged (leftmost first) until no pair has a merge. Results of repeated words are cached.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/tokenizer/vocab.h"

namespace verdict::tokenizer {

// A token of a word: vocabulary id and the bytes [begin, end) of the word it covers.
struct BpeToken {
  int32_t id = 0;
  uint32_t begin = 0;
  uint32_t end = 0;
};

struct BpeOptions {
  std::optional<std::string> unk_token;  // none: bytes without a token are dropped
  bool fuse_unk = false;
  bool ignore_merges = false;  // a word that is a vocabulary token is taken whole
};

class Bpe {
 public:
  // `merges` in rank order, each a pair of token strings. Errors (kCorruptModel) set
  // *bad_merge to the index of the merge at fault; the caller adds the file and line.
  static Result<Bpe> create(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                            BpeOptions options, size_t* bad_merge = nullptr);

  Bpe(Bpe&& other) noexcept;
  Bpe& operator=(Bpe&&) = delete;

  // Tokens of the raw bytes of one word, appended to *out. Thread-safe.
  void tokenize(std::string_view word, std::vector<BpeToken>* out) const;

  const Vocab& vocab() const { return vocab_; }

 private:
  Bpe() = default;
  void merge_word(std::string_view word, std::vector<BpeToken>* out) const;

  struct Merge {
    uint32_t rank;
    int32_t id;
  };
  static uint64_t pair_key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }

  Vocab vocab_;
  BpeOptions options_;
  std::optional<int32_t> unk_id_;
  std::array<int32_t, 256> byte_ids_{};  // -1: the byte's character is not in the vocabulary
  std::unordered_map<uint64_t, Merge> merges_;

  // Words up to kMaxCachedWord bytes; at most kCacheCapacity of them (then no more are added,
  // as in Rust).
  static constexpr size_t kMaxCachedWord = 256;
  static constexpr size_t kCacheCapacity = 10000;
  mutable std::shared_mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<BpeToken>, StringHash, std::equal_to<>> cache_;
};

}  // namespace verdict::tokenizer
