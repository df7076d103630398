#include "verdict/hub/cache.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "testing/testdata.h"

namespace verdict::hub {
namespace {
namespace fs = std::filesystem;

// A cache tree as huggingface_hub lays it out: blobs, snapshot symlinks, refs.
fs::path make_cache(const std::string& commit) {
  const auto cache = testing::make_temp_dir("verdict-hub-");
  const auto repo = cache / "models--acme--review-model";
  fs::create_directories(repo / "blobs");
  fs::create_directories(repo / "refs");
  fs::create_directories(repo / "snapshots" / commit);
  std::ofstream(repo / "blobs" / "abc123") << R"({"model_type": "distilbert"})";
  fs::create_symlink("../../blobs/abc123", repo / "snapshots" / commit / "config.json");
  std::ofstream(repo / "refs" / "main") << commit;
  return cache;
}

TEST(HubCacheTest, FindsASnapshotThroughItsRef) {
  const std::string commit = "0123456789abcdef0123456789abcdef01234567";
  const auto cache = make_cache(commit);
  auto snap = find_cached_snapshot("acme/review-model", "main", cache);
  ASSERT_TRUE(snap.ok()) << snap.error().message;
  EXPECT_EQ(snap->filename(), commit);
  auto by_commit = find_cached_snapshot("acme/review-model", commit, cache);
  ASSERT_TRUE(by_commit.ok());
  auto missing = find_cached_snapshot("acme/other", "main", cache);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("was not found in the Hub cache"), std::string::npos);
}

TEST(HubCacheTest, HonoursTheEnvironmentLikeHuggingfaceHub) {
  setenv("HF_HUB_CACHE", "/x/hub", 1);
  EXPECT_EQ(cache_dir(), fs::path("/x/hub"));
  unsetenv("HF_HUB_CACHE");
  setenv("HF_HOME", "/y", 1);
  EXPECT_EQ(cache_dir(), fs::path("/y/hub"));
  unsetenv("HF_HOME");
}

TEST(HubCacheTest, RejectsIdsThatCouldEscapeTheCache) {
  for (const char* bad : {"", "../etc", "a/../b", "a/b/c", "a b", "a--b", "/abs", "a/"}) {
    EXPECT_FALSE(is_valid_model_id(bad)) << bad;
  }
  for (const char* good : {"distilbert-base-uncased-finetuned-sst-2-english", "cardiffnlp/twitter-roberta-base-sentiment-latest", "a.b_c"}) {
    EXPECT_TRUE(is_valid_model_id(good)) << good;
  }
}

TEST(HubCacheTest, ResolvesFoldersAsTheyAre) {
  const auto dir = testing::testdata_dir() / "models" / "distilbert-sst2-tiny";
  auto r = resolve_model(dir.string());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, dir);
  EXPECT_NE(resolve_model("/no/such/folder").error().message.find("model folder not found"), std::string::npos);
}

}  // namespace
}  // namespace verdict::hub
