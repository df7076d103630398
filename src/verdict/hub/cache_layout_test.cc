#include "verdict/hub/cache_layout.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/testdata.h"
#include "verdict/hub/pull.h"

namespace verdict::hub {
namespace {
namespace fs = std::filesystem;

TEST(CacheLayoutTest, NamesFoldersAsHuggingfaceHub) {
  EXPECT_EQ(repo_folder_name("distilbert-base-uncased-finetuned-sst-2-english"),
            "models--distilbert-base-uncased-finetuned-sst-2-english");
  EXPECT_EQ(repo_folder_name("cardiffnlp/twitter-roberta-base-sentiment-latest"),
            "models--cardiffnlp--twitter-roberta-base-sentiment-latest");
}

TEST(CacheLayoutTest, RevisionsMayBeBranchesTagsPrRefsOrCommits) {
  for (const char* ok : {"main", "v1.0", "refs/pr/1", "714eb0fa89d2f80546fda750413ed43d93601a13"}) {
    EXPECT_TRUE(is_valid_revision(ok)) << ok;
  }
  for (const char* bad : {"", "..", "a/../b", "/main", "main/", "a b", "a//b", "x\n"}) {
    EXPECT_FALSE(is_valid_revision(bad)) << bad;
  }
  EXPECT_TRUE(is_commit_hash("714eb0fa89d2f80546fda750413ed43d93601a13"));
  EXPECT_FALSE(is_commit_hash("main"));
  EXPECT_TRUE(is_sha256_hex(std::string(64, 'a')));
  EXPECT_FALSE(is_sha256_hex(std::string(40, 'a')));
}

TEST(CacheLayoutTest, EtagsBecomeFileNamesOnlyWhenHarmless) {
  EXPECT_EQ(normalize_etag("\"abc123\""), "abc123");
  EXPECT_EQ(normalize_etag("W/\"abc-123\""), "abc-123");
  EXPECT_EQ(normalize_etag("abc"), "abc");
  for (const char* bad : {"\"../x\"", "\"\"", "\"a/b\"", "\"..\"", "\".hidden\"", "a b", "x.incomplete"}) {
    EXPECT_EQ(normalize_etag(bad), "") << bad;
  }
}

TEST(CacheLayoutTest, EncodesRevisionsForUrls) {
  EXPECT_EQ(url_encode("refs/pr/1"), "refs%2Fpr%2F1");
  EXPECT_EQ(url_encode("v1.0-rc_2"), "v1.0-rc_2");
}

TEST(CacheLayoutTest, WritesRefsAndRelativeSnapshotLinks) {
  const auto repo = testing::make_temp_dir("verdict-layout-") / "models--acme--m";
  fs::create_directories(repo / "blobs");
  std::ofstream(repo / "blobs" / "e1") << "one";
  std::ofstream(repo / "blobs" / "e2") << "two";
  const std::string commit(40, 'c');
  ASSERT_TRUE(link_snapshot_file(repo, commit, "config.json", "e1").ok());
  EXPECT_EQ(fs::read_symlink(repo / "snapshots" / commit / "config.json"), "../../blobs/e1");
  ASSERT_TRUE(link_snapshot_file(repo, commit, "config.json", "e2").ok());  // replaced in place
  EXPECT_EQ(fs::read_symlink(repo / "snapshots" / commit / "config.json"), "../../blobs/e2");
  ASSERT_TRUE(link_snapshot_file(repo, commit, "onnx/model.onnx", "e1").ok());
  EXPECT_EQ(fs::read_symlink(repo / "snapshots" / commit / "onnx" / "model.onnx"), "../../../blobs/e1");
  ASSERT_TRUE(write_ref(repo, "main", commit).ok());
  ASSERT_TRUE(write_ref(repo, "refs/pr/1", commit).ok());
  std::ifstream in(repo / "refs" / "refs" / "pr" / "1");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, commit);  // no newline, as huggingface_hub writes it
  for (const auto& e : fs::directory_iterator(repo / "refs")) {
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
  }
}

TEST(PullSelectionTest, TakesOnlyWhatInferenceNeedsWithConfigLast) {
  auto f = files_to_download("a/b", {".gitattributes", "README.md", "config.json", "model.safetensors", "pytorch_model.bin",
                                     "tf_model.h5", "onnx/model.onnx", "vocab.txt", "tokenizer_config.json"});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, (std::vector<std::string>{"model.safetensors", "tokenizer_config.json", "vocab.txt", "config.json"}));
  auto bin = files_to_download("a/b", {"config.json", "pytorch_model.bin", "tokenizer.json"});
  ASSERT_TRUE(bin.ok());
  EXPECT_EQ(bin->front(), "pytorch_model.bin");
  auto sharded = files_to_download("a/b", {"config.json", "model.safetensors.index.json"});
  ASSERT_FALSE(sharded.ok());
  EXPECT_NE(sharded.error().message.find("shards"), std::string::npos);
  EXPECT_FALSE(files_to_download("a/b", {"model.safetensors"}).ok());
}

}  // namespace
}  // namespace verdict::hub
