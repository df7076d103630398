// `verdict pull` and Hub ids in --model, with the real binary against a fake Hub on 127.0.0.1:
// redirects to a CDN on another origin, a dropped connection (resumed with Range), a wrong sha256,
// 401/404, no network; then the pulled model classifies like transformers. And the other way
// round: a cache tree laid out by huggingface_hub is used as is, offline.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "testing/fake_hub.h"
#include "testing/process.h"
#include "testing/server_process.h"
#include "testing/testdata.h"

namespace verdict {
namespace {
namespace fs = std::filesystem;
using testing::FakeHub;
using testing::run_process;
using testing::verdict_binary;

const std::string kId = "acme/tiny-sentiment";

fs::path golden(const std::string& name = "distilbert-sst2-tiny") { return testing::testdata_dir() / "models" / name; }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

class HubPullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_ = testing::make_temp_dir("verdict-hub-cache-");
    setenv("HF_HUB_CACHE", cache_.c_str(), 1);
    setenv("HF_TOKEN_PATH", (cache_ / "no-token").c_str(), 1);  // never the developer's own token
    for (const char* v : {"HF_TOKEN", "HF_HUB_OFFLINE", "HF_HOME", "VERDICT_NO_PULL", "MODEL", "MODEL_REVISION"}) unsetenv(v);
  }
  void TearDown() override {
    unsetenv("HF_ENDPOINT");
    unsetenv("HF_HUB_CACHE");
    unsetenv("HF_TOKEN");
    unsetenv("HF_HUB_OFFLINE");
    std::error_code ec;
    fs::remove_all(cache_, ec);
  }
  fs::path repo() const { return cache_ / "models--acme--tiny-sentiment"; }
  fs::path snapshot() const { return repo() / "snapshots" / FakeHub::kCommit; }
  testing::ProcessResult pull(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {verdict_binary(), "pull", kId};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_process(argv);
  }
  // Classifies every golden text with --model `model` and compares with expected.jsonl.
  void expect_golden_classification(const std::string& model, const std::vector<std::string>& extra = {}) {
    const auto rows = testing::read_jsonl(golden() / "expected.jsonl");
    std::string input;
    for (const auto& row : rows) {
      nlohmann::json in = {{"text", row["text"]}};
      if (row.contains("text_pair")) in["text_pair"] = row["text_pair"];
      input += in.dump() + "\n";
    }
    std::vector<std::string> argv = {verdict_binary(), "classify", "--model", model, "--jsonl"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const auto r = run_process(argv, input);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream out(r.out);
    std::string line;
    for (const auto& row : rows) {
      ASSERT_TRUE(std::getline(out, line));
      const auto got = nlohmann::json::parse(line);
      EXPECT_EQ(got["label"], row["label"]) << row["text"];
      EXPECT_NEAR(got["score"].get<double>(), row["score"].get<double>(), 1e-4) << row["text"];
    }
  }
  fs::path cache_;
};

TEST_F(HubPullTest, PullsThroughTheCdnRedirectResumesADroppedTransferAndClassifies) {
  FakeHub hub(kId, golden());
  hub.required_token = "hf_test_secret";
  hub.drop_downloads = 1;  // the first transfer of model.safetensors stops halfway
  setenv("HF_ENDPOINT", hub.endpoint().c_str(), 1);
  setenv("HF_TOKEN", "hf_test_secret", 1);
  const auto r = pull();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, snapshot().string() + "\n");
  EXPECT_EQ(r.err, "");  // no progress bar when stderr is not a terminal
  EXPECT_FALSE(contains(r.err + r.out, "hf_test_secret"));

  // The layout huggingface_hub writes: refs, relative links into blobs named by ETag.
  EXPECT_EQ(slurp(repo() / "refs" / "main"), FakeHub::kCommit);
  for (const std::string file : {"config.json", "model.safetensors", "tokenizer_config.json", "vocab.txt"}) {
    const auto link = snapshot() / file;
    ASSERT_TRUE(fs::is_symlink(link)) << file;
    EXPECT_EQ(fs::read_symlink(link), fs::path("../../blobs") / hub.etag_of(file)) << file;
    EXPECT_EQ(slurp(link), slurp(golden() / file)) << file;
  }
  EXPECT_FALSE(fs::exists(snapshot() / "README.md"));  // only what inference needs
  EXPECT_FALSE(fs::exists(snapshot() / ".gitattributes"));
  for (const auto& e : fs::directory_iterator(repo() / "blobs")) EXPECT_FALSE(contains(e.path().string(), ".incomplete"));

  // The weights came from the CDN: twice, the second time resumed where the first one stopped,
  // and the CDN (another origin) never saw the token the Hub did.
  const auto cdn = hub.cdn_requests();
  ASSERT_EQ(cdn.size(), 2u);
  EXPECT_FALSE(contains(cdn[0].head, "Range:"));
  EXPECT_TRUE(contains(cdn[1].head, "Range: bytes=" + std::to_string(fs::file_size(golden() / "model.safetensors") / 2) + "-"))
      << cdn[1].head;
  for (const auto& c : cdn) EXPECT_FALSE(contains(c.head, "hf_test_secret")) << c.head;
  for (const auto& h : hub.hub_requests()) EXPECT_TRUE(contains(h.head, "Authorization: Bearer hf_test_secret"));

  // Now used by its id, with no Hub at all.
  setenv("HF_ENDPOINT", "http://127.0.0.1:9", 1);
  setenv("HF_HUB_OFFLINE", "1", 1);
  expect_golden_classification(kId);
  expect_golden_classification(kId, {"--revision", FakeHub::kCommit});
  const auto info = run_process({verdict_binary(), "info", "--model", kId});
  EXPECT_EQ(info.exit_code, 0) << info.err;
  const auto tok = run_process({verdict_binary(), "tokenize", "--model", kId, "that was great"});
  EXPECT_EQ(tok.exit_code, 0) << tok.err;

  // A second pull finds every blob and downloads nothing.
  unsetenv("HF_HUB_OFFLINE");
  setenv("HF_ENDPOINT", hub.endpoint().c_str(), 1);
  ASSERT_EQ(pull().exit_code, 0);
  EXPECT_EQ(hub.cdn_requests().size(), 2u);
}

TEST_F(HubPullTest, AnInterruptedPullLeavesNothingThatLooksCompleteAndResumesLater) {
  FakeHub hub(kId, golden());
  hub.drop_downloads = 1000;  // every transfer breaks
  setenv("HF_ENDPOINT", hub.endpoint().c_str(), 1);
  const auto r = pull();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "model.safetensors")) << r.err;
  EXPECT_TRUE(contains(r.err, kId)) << r.err;
  EXPECT_TRUE(contains(r.err, "run the pull again")) << r.err;
  const auto blob = repo() / "blobs" / hub.etag_of("model.safetensors");
  EXPECT_FALSE(fs::exists(blob));
  ASSERT_TRUE(fs::exists(blob.string() + ".incomplete"));
  const auto partial = fs::file_size(blob.string() + ".incomplete");
  EXPECT_GT(partial, 0u);
  EXPECT_FALSE(fs::exists(snapshot() / "model.safetensors"));
  EXPECT_FALSE(fs::exists(snapshot() / "config.json"));
  EXPECT_FALSE(fs::exists(repo() / "refs" / "main"));
  const auto no_pull = run_process({verdict_binary(), "classify", "--model", kId, "--no-pull", "x"});
  EXPECT_NE(no_pull.exit_code, 0);
  EXPECT_TRUE(contains(no_pull.err, "verdict pull " + kId)) << no_pull.err;

  hub.drop_downloads = 0;
  const size_t before = hub.cdn_requests().size();
  const auto again = pull();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto cdn = hub.cdn_requests();
  ASSERT_EQ(cdn.size(), before + 1);
  EXPECT_TRUE(contains(cdn.back().head, "Range: bytes=" + std::to_string(partial) + "-")) << cdn.back().head;
  EXPECT_EQ(slurp(snapshot() / "model.safetensors"), slurp(golden() / "model.safetensors"));
}

TEST_F(HubPullTest, AWrongSha256IsRefusedAndNothingIsKept) {
  FakeHub hub(kId, golden());
  hub.wrong_sha = true;
  setenv("HF_ENDPOINT", hub.endpoint().c_str(), 1);
  const auto r = pull();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "sha256")) << r.err;
  EXPECT_TRUE(contains(r.err, "model.safetensors")) << r.err;
  EXPECT_TRUE(contains(r.err, kId)) << r.err;
  for (const auto& e : fs::directory_iterator(repo() / "blobs")) {
    EXPECT_FALSE(e.path().filename().string().size() >= 64) << "kept: " << e.path();  // no weights, whole or partial
  }
  EXPECT_FALSE(fs::exists(snapshot() / "model.safetensors"));
  EXPECT_FALSE(fs::exists(snapshot() / "config.json"));
}

TEST_F(HubPullTest, ErrorsNameTheModelAndSayWhatToDo) {
  FakeHub hub(kId, golden());
  hub.required_token = "hf_right";
  setenv("HF_ENDPOINT", hub.endpoint().c_str(), 1);
  auto r = pull();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "401") && contains(r.err, "HF_TOKEN") && contains(r.err, "gated") && contains(r.err, kId))
      << r.err;
  setenv("HF_TOKEN", "hf_wrong", 1);
  r = pull();
  EXPECT_TRUE(contains(r.err, "HF_TOKEN") && contains(r.err, kId)) << r.err;
  EXPECT_FALSE(contains(r.err, "hf_wrong")) << r.err;

  setenv("HF_TOKEN", "hf_right", 1);
  r = run_process({verdict_binary(), "pull", "acme/no-such-model"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "not found") && contains(r.err, "acme/no-such-model")) << r.err;
  r = pull({"--revision", "v9"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "not found") && contains(r.err, "v9") && contains(r.err, kId)) << r.err;

  setenv("HF_ENDPOINT", "http://127.0.0.1:9", 1);  // nothing listens on the discard port
  r = pull();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "could not reach") && contains(r.err, kId)) << r.err;
  // A mistyped folder is read as a Hub id: the error says that no such folder exists either.
  r = run_process({verdict_binary(), "classify", "--model", "no-such-folder", "great"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "could not reach") && contains(r.err, "no folder 'no-such-folder' here")) << r.err;

  setenv("HF_HUB_OFFLINE", "1", 1);
  r = pull();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "HF_HUB_OFFLINE")) << r.err;
  r = run_process({verdict_binary(), "classify", "--model", kId, "x"});
  EXPECT_TRUE(contains(r.err, "not found in the Hub cache") && contains(r.err, "HF_HUB_OFFLINE")) << r.err;
  EXPECT_TRUE(hub.cdn_requests().empty());
}

TEST_F(HubPullTest, FollowsTheHubsRedirectOfAMovedRepositoryUnderItsOldId) {
  FakeHub hub(kId, golden());
  hub.old_id = "tiny-sentiment";  // as distilbert-base-uncased-finetuned-sst-2-english moved under distilbert/
  setenv("HF_ENDPOINT", hub.endpoint().c_str(), 1);
  const auto r = run_process({verdict_binary(), "pull", "tiny-sentiment"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, (cache_ / "models--tiny-sentiment" / "snapshots" / FakeHub::kCommit).string() + "\n");
  setenv("HF_HUB_OFFLINE", "1", 1);
  expect_golden_classification("tiny-sentiment");
}

TEST_F(HubPullTest, FallsBackToPytorchModelBinWhenThereIsNoSafetensors) {
  FakeHub hub("acme/old-model", golden("distilbert-sst2-tiny-bin"));
  setenv("HF_ENDPOINT", hub.endpoint().c_str(), 1);
  const auto r = run_process({verdict_binary(), "pull", "acme/old-model"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path snap = cache_ / "models--acme--old-model" / "snapshots" / FakeHub::kCommit;
  EXPECT_EQ(slurp(snap / "pytorch_model.bin"), slurp(golden("distilbert-sst2-tiny-bin") / "pytorch_model.bin"));
  EXPECT_FALSE(fs::exists(snap / "pytorch_model.legacy.bin"));
}

TEST_F(HubPullTest, ServePullsAMissingModelUnlessForbidden) {
  FakeHub hub(kId, golden());
  setenv("HF_ENDPOINT", hub.endpoint().c_str(), 1);
  {
    const auto r = run_process({verdict_binary(), "serve", "--model", kId, "--no-pull", "--port", "0", "--log-format", "text"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_TRUE(contains(r.err, "not found in the Hub cache") && contains(r.err, "verdict pull")) << r.err;
    EXPECT_TRUE(hub.hub_requests().empty());
  }
  testing::ServerProcess server({"--model", kId});
  ASSERT_TRUE(server.running()) << server.logs();
  const auto res = testing::http_request(server.port(), "POST", "/", R"({"inputs": "that was great"})",
                                         {{"Content-Type", "application/json"}});
  EXPECT_EQ(res.status, 200) << res.body;
  EXPECT_TRUE(contains(server.logs(), "downloading it from " + hub.endpoint())) << server.logs();
  EXPECT_EQ(server.terminate(), 0) << server.logs();
  EXPECT_TRUE(fs::is_symlink(snapshot() / "config.json"));
}

// What huggingface_hub (and so transformers) leaves in the cache, built by hand: used as is.
TEST_F(HubPullTest, UsesACacheTreeLaidOutByHuggingfaceHubOffline) {
  const std::string commit = "714eb0fa89d2f80546fda750413ed43d93601a13";
  const fs::path repo = cache_ / "models--distilbert-base-uncased-finetuned-sst-2-english";
  fs::create_directories(repo / "blobs");
  fs::create_directories(repo / "refs");
  fs::create_directories(repo / "snapshots" / commit);
  fs::create_directories(cache_ / ".locks" / repo.filename());
  for (const std::string file : {"config.json", "model.safetensors", "tokenizer_config.json", "vocab.txt"}) {
    const std::string bytes = slurp(golden() / file);
    const std::string etag = file == "model.safetensors" ? testing::sha256_hex(bytes) : testing::sha256_hex(bytes).substr(0, 40);
    std::ofstream(repo / "blobs" / etag, std::ios::binary) << bytes;
    fs::create_symlink("../../blobs/" + etag, repo / "snapshots" / commit / file);
  }
  std::ofstream(repo / "refs" / "main") << commit;
  setenv("HF_HUB_OFFLINE", "1", 1);
  setenv("HF_ENDPOINT", "http://127.0.0.1:9", 1);
  expect_golden_classification("distilbert-base-uncased-finetuned-sst-2-english");
  expect_golden_classification("distilbert-base-uncased-finetuned-sst-2-english", {"--revision", commit});
  // `verdict pull` of a cached model, offline or with the Hub out of reach (HF_ENDPOINT's port 9
  // refuses): the cached snapshot, with a notice, as huggingface_hub does.
  for (const bool offline : {true, false}) {
    if (!offline) unsetenv("HF_HUB_OFFLINE");
    const auto r = run_process({verdict_binary(), "pull", "distilbert-base-uncased-finetuned-sst-2-english"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, (repo / "snapshots" / commit).string() + "\n");
    EXPECT_NE(r.err.find("already in the cache, not checked for updates"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(offline ? "HF_HUB_OFFLINE" : "could not be reached"), std::string::npos) << r.err;
  }
  // Not cached: still an error that says what to do.
  const auto missing = run_process({verdict_binary(), "pull", "acme/not-cached"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("could not reach the Hugging Face Hub"), std::string::npos) << missing.err;
  setenv("HF_HUB_OFFLINE", "1", 1);
  // HF_HOME/hub is the cache when HF_HUB_CACHE is not set.
  unsetenv("HF_HUB_CACHE");
  const auto home = testing::make_temp_dir("verdict-hf-home-");
  fs::rename(cache_, home / "hub");
  setenv("HF_HOME", home.c_str(), 1);
  expect_golden_classification("distilbert-base-uncased-finetuned-sst-2-english");
  unsetenv("HF_HOME");
  fs::rename(home / "hub", cache_);
  fs::remove_all(home);
}

}  // namespace
}  // namespace verdict
