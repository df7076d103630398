#include "verdict/runtime/result_cache.h"

#include <gtest/gtest.h>

#include <thread>

namespace verdict::runtime {
namespace {

TextInput text(std::string s) { return {std::move(s), std::nullopt}; }

TEST(ResultCacheTest, ReturnsWhatWasStoredAndCountsHitsAndMisses) {
  ResultCache cache(4);
  const auto k = *cache.key("m", text("great"), true);
  EXPECT_FALSE(cache.get(k));
  cache.put(k, {1.5f, -2.0f}, 7);
  auto got = cache.get(k);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->logits, (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(got->tokens, 7u);
  const auto s = cache.stats();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.entries, 1u);
}

TEST(ResultCacheTest, KeysSeparateModelTextPairAndTruncation) {
  ResultCache cache(16);
  const std::vector<std::optional<std::string>> keys = {
      cache.key("m", text("ab"), true),
      cache.key("m2", text("ab"), true),
      cache.key("m", text("ab"), false),
      cache.key("m", text("ab"), true, /*truncate_left=*/true),
      cache.key("m", {"a", std::string("b")}, true),
      cache.key("m", {"ab", std::string()}, true),
      cache.key("m", text("a"), true),
      cache.key("1:m", text("ab"), true),
  };
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(keys[i]);
    for (size_t j = 0; j < i; ++j) EXPECT_NE(*keys[i], *keys[j]) << i << " vs " << j;
  }
}

TEST(ResultCacheTest, EvictsTheLeastRecentlyUsedBeyondTheBound) {
  ResultCache cache(3);
  std::vector<std::string> k;
  for (const char* t : {"t0", "t1", "t2", "t3", "t4"}) k.push_back(*cache.key("m", text(t), true));
  cache.put(k[0], {0});
  cache.put(k[1], {1});
  cache.put(k[2], {2});
  ASSERT_TRUE(cache.get(k[0]));  // k[1] is now the oldest
  EXPECT_EQ(cache.put(k[3], {3}), 1u);
  EXPECT_FALSE(cache.get(k[1]));
  EXPECT_TRUE(cache.get(k[0]));
  EXPECT_TRUE(cache.get(k[2]));
  EXPECT_TRUE(cache.get(k[3]));
  cache.put(k[4], {4});
  const auto s = cache.stats();
  EXPECT_EQ(s.entries, 3u);
  EXPECT_EQ(s.evictions, 2u);
}

TEST(ResultCacheTest, SizeZeroDisablesIt) {
  ResultCache cache(0);
  EXPECT_FALSE(cache.enabled());
  EXPECT_FALSE(cache.key("m", text("x"), true));
  EXPECT_EQ(cache.put("k", {1}), 0u);
  EXPECT_FALSE(cache.get("k"));
  EXPECT_EQ(cache.stats().entries, 0u);
}

TEST(ResultCacheTest, VeryLongTextsAreNotCached) {
  ResultCache cache(4);
  EXPECT_FALSE(cache.key("m", text(std::string(kMaxCachedTextBytes + 1, 'a')), true));
  EXPECT_TRUE(cache.key("m", text(std::string(kMaxCachedTextBytes, 'a')), true));
}

TEST(ResultCacheTest, ConcurrentUseKeepsTheBound) {
  ResultCache cache(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 2000; ++i) {
        const auto k = *cache.key("m", text(std::to_string((i * 7 + t) % 20)), true);
        if (auto v = cache.get(k)) {
          EXPECT_EQ(v->logits.size(), 1u);
        } else {
          cache.put(k, {static_cast<float>(i)});
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto s = cache.stats();
  EXPECT_LE(s.entries, 8u);
  EXPECT_EQ(s.hits + s.misses, 8000u);
}

}  // namespace
}  // namespace verdict::runtime
