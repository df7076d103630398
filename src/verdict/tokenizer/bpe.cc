#include "verdict/tokenizer/bpe.h"

#include <limits>
#include <mutex>

#include "verdict/tokenizer/byte_level.h"
#include "verdict/tokenizer/unicode_util.h"

namespace verdict::tokenizer {

Result<Bpe> Bpe::create(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                        BpeOptions options, size_t* bad_merge) {
  Bpe bpe;
  bpe.options_ = std::move(options);
  if (bpe.options_.unk_token) {
    bpe.unk_id_ = vocab.find(*bpe.options_.unk_token);
    if (!bpe.unk_id_) {
      return make_error(ErrorCode::kCorruptModel,
                        "the unknown token \"" + *bpe.options_.unk_token + "\" is not in the vocabulary");
    }
  }
  const auto& table = byte_to_unicode();
  for (int b = 0; b < 256; ++b) {
    std::string ch;
    append_utf8(table[b], &ch);
    bpe.byte_ids_[b] = vocab.find(ch).value_or(-1);
  }
  bpe.merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    const auto id_a = vocab.find(a);
    const auto id_b = vocab.find(b);
    const auto id = vocab.find(a + b);
    if (!id_a || !id_b || !id) {
      if (bad_merge) *bad_merge = rank;
      const std::string& missing = !id_a ? a : !id_b ? b : a + b;
      return make_error(ErrorCode::kCorruptModel,
                        "merge \"" + a + " " + b + "\" uses \"" + missing + "\", which is not in the vocabulary");
    }
    // A pair listed twice keeps its first (lowest) rank.
    bpe.merges_.try_emplace(pair_key(*id_a, *id_b), Merge{static_cast<uint32_t>(rank), *id});
  }
  bpe.vocab_ = std::move(vocab);
  return bpe;
}

Bpe::Bpe(Bpe&& other) noexcept
    : vocab_(std::move(other.vocab_)),
      options_(std::move(other.options_)),
      unk_id_(other.unk_id_),
      byte_ids_(other.byte_ids_),
      merges_(std::move(other.merges_)),
      cache_(std::move(other.cache_)) {}

void Bpe::merge_word(std::string_view word, std::vector<BpeToken>* out) const {
  std::vector<BpeToken> symbols;
  symbols.reserve(word.size());
  for (size_t i = 0; i < word.size(); ++i) {
    const int32_t id = byte_ids_[static_cast<unsigned char>(word[i])];
    const auto pos = static_cast<uint32_t>(i);
    if (id >= 0) {
      symbols.push_back({id, pos, pos + 1});
    } else if (unk_id_) {
      if (options_.fuse_unk && !symbols.empty() && symbols.back().id == *unk_id_ && symbols.back().end == pos) {
        symbols.back().end = pos + 1;
      } else {
        symbols.push_back({*unk_id_, pos, pos + 1});
      }
    }
    // No token and no unk: Rust drops the byte.
  }
  // rank[i]: merge of symbols i and i + 1, or kNone. The lowest rank goes first; on ties the
  // leftmost, as Rust's priority queue orders by (rank, position).
  constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  auto lookup = [&](size_t i) -> std::pair<uint32_t, int32_t> {
    const auto it = merges_.find(pair_key(symbols[i].id, symbols[i + 1].id));
    return it == merges_.end() ? std::pair{kNone, 0} : std::pair{it->second.rank, it->second.id};
  };
  std::vector<std::pair<uint32_t, int32_t>> ranks;
  ranks.reserve(symbols.size());
  for (size_t i = 0; i + 1 < symbols.size(); ++i) ranks.push_back(lookup(i));
  while (!ranks.empty()) {
    size_t best = 0;
    for (size_t i = 1; i < ranks.size(); ++i) {
      if (ranks[i].first < ranks[best].first) best = i;
    }
    if (ranks[best].first == kNone) break;
    symbols[best].id = ranks[best].second;
    symbols[best].end = symbols[best + 1].end;
    symbols.erase(symbols.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    ranks.erase(ranks.begin() + static_cast<std::ptrdiff_t>(best));
    if (best < ranks.size()) ranks[best] = lookup(best);
    if (best > 0) ranks[best - 1] = lookup(best - 1);
  }
  out->insert(out->end(), symbols.begin(), symbols.end());
}

void Bpe::tokenize(std::string_view word, std::vector<BpeToken>* out) const {
  if (word.empty()) return;
  if (options_.ignore_merges) {
    if (const auto id = vocab_.find(byte_level_string(word))) {
      out->push_back({*id, 0, static_cast<uint32_t>(word.size())});
      return;
    }
  }
  const bool cacheable = word.size() <= kMaxCachedWord;
  if (cacheable) {
    std::shared_lock lock(cache_mutex_);
    if (const auto it = cache_.find(word); it != cache_.end()) {
      out->insert(out->end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t first = out->size();
  merge_word(word, out);
  if (cacheable) {
    std::unique_lock lock(cache_mutex_);
    if (cache_.size() < kCacheCapacity) {
      cache_.try_emplace(std::string(word), out->begin() + static_cast<std::ptrdiff_t>(first), out->end());
    }
  }
}

}  // namespace verdict::tokenizer
