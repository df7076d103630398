#include "verdict/runtime/result_cache.h"

namespace verdict::runtime {

ResultCache::ResultCache(size_t capacity) : capacity_(capacity) {}

std::optional<std::string> ResultCache::key(std::string_view model, const TextInput& input,
                                            bool truncate, bool truncate_left) const {
  if (!enabled()) return std::nullopt;
  const size_t text_bytes = input.text.size() + (input.text_pair ? input.text_pair->size() : 0);
  if (text_bytes > kMaxCachedTextBytes) return std::nullopt;
  // Length-prefixed fields: no two different inputs can make the same key.
  std::string k;
  k.reserve(model.size() + text_bytes + 48);
  auto field = [&k](std::string_view s) {
    k += std::to_string(s.size());
    k += ':';
    k += s;
  };
  field(model);
  k += !truncate ? 'F' : truncate_left ? 'L' : 'T';
  field(input.text);
  if (input.text_pair) {
    k += 'P';
    field(*input.text_pair);
  } else {
    k += 'S';
  }
  return k;
}

std::optional<CachedResult> ResultCache::get(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

size_t ResultCache::put(const std::string& key, std::vector<float> logits, size_t tokens) {
  if (!enabled()) return 0;
  std::lock_guard lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    it->second->second = {std::move(logits), tokens};
    lru_.splice(lru_.begin(), lru_, it->second);
    return 0;
  }
  lru_.emplace_front(key, CachedResult{std::move(logits), tokens});
  index_.emplace(lru_.front().first, lru_.begin());
  size_t evicted = 0;
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
    ++evicted;
  }
  evictions_ += evicted;
  return evicted;
}

CacheStats ResultCache::stats() const {
  std::lock_guard lock(mu_);
  return {hits_, misses_, evictions_, lru_.size(), capacity_};
}

}  // namespace verdict::runtime
