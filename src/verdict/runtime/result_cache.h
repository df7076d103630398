// A bounded, thread-safe LRU of model outputs, so identical requests are not computed twice.
// The key is everything that changes the logits: the model, the text, the pair and whether
// (and from which end) long inputs are truncated (score functions and top_k are applied after the logits, so one
// entry serves every one of them). Keys hold the whole text (no hash: a crafted collision must
// never hand one user's answer to another's text); texts over kMaxCachedTextBytes are not
// cached, which bounds the memory to about capacity x that.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "verdict/runtime/pipeline.h"

namespace verdict::runtime {

// Inputs longer than this (text + pair, bytes) are always computed, never stored.
constexpr size_t kMaxCachedTextBytes = 32 * 1024;
// `verdict serve --cache-size` default: small, on.
constexpr size_t kDefaultCacheSize = 1024;

// An entry: the logits, and the tokens the model read for them (reported with a hit as with a
// computation: TEI's x-compute-tokens is the input's, whatever answered it).
struct CachedResult {
  std::vector<float> logits;
  size_t tokens = 0;
};

struct CacheStats {
  size_t hits = 0;
  size_t misses = 0;
  size_t evictions = 0;
  size_t entries = 0;
  size_t capacity = 0;
};

class ResultCache {
 public:
  // `capacity` entries; 0 disables the cache (every lookup misses, nothing is stored).
  explicit ResultCache(size_t capacity);
  ResultCache(const ResultCache&) = delete;
  ResultCache& operator=(const ResultCache&) = delete;

  // The key of one input; nullopt when the input is not cacheable (cache off, or too long).
  std::optional<std::string> key(std::string_view model, const TextInput& input, bool truncate,
                                 bool truncate_left = false) const;

  // The stored entry, which becomes the most recently used. Counts a hit or a miss.
  std::optional<CachedResult> get(const std::string& key);
  // Stores (or refreshes) an entry; evicts the least recently used beyond the capacity.
  // Returns how many entries were evicted.
  size_t put(const std::string& key, std::vector<float> logits, size_t tokens = 0);

  bool enabled() const { return capacity_ > 0; }
  CacheStats stats() const;

 private:
  using Entry = std::pair<std::string, CachedResult>;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;                                                    // most recent first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;  // views into lru_ keys
  size_t hits_ = 0, misses_ = 0, evictions_ = 0;
};

}  // namespace verdict::runtime
