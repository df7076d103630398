// `verdict serve` features for the people who run it: the result cache, explanations (/explain)
// and the console's history endpoint, over real HTTP on 127.0.0.1 with golden models.
#include <gtest/gtest.h>
#include <sodium.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "testing/fake_http_server.h"
#include "testing/process.h"
#include "testing/server_process.h"
#include "testing/testdata.h"

namespace verdict {
namespace {

using nlohmann::json;
using testing::body_json;
using testing::http_request;
using testing::model_dir;
using testing::HttpResult;
using testing::ServerProcess;


// The value of one unlabelled metric line ("name value"), or -1.
double metric(int port, const std::string& name) {
  const auto body = http_request(port, "GET", "/metrics").body;
  const auto at = body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + name.size() + 2));
}

HttpResult post(int port, const std::string& path, const json& body,
                const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  return http_request(port, "POST", path, body.dump(), headers);
}

// ---- Result cache -------------------------------------------------------------------------

TEST(CacheTest, CachedAnswersEqualComputedOnesOnEveryRoute) {
  ServerProcess server({"--model", model_dir("bert-3label-tiny").string(), "--cache-size", "64"});
  ASSERT_TRUE(server.running()) << server.logs();
  const auto rows = testing::read_jsonl(model_dir("bert-3label-tiny") / "expected.jsonl");
  json inputs = json::array();
  for (size_t i = 0; i < 8; ++i) {
    json seq = json::array({rows[i]["text"]});
    if (rows[i].contains("text_pair")) seq.push_back(rows[i]["text_pair"]);
    inputs.push_back(seq);
  }
  const auto first = post(server.port(), "/predict", {{"inputs", inputs}});
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.header("x-cache-hits"), "0");
  const auto second = post(server.port(), "/predict", {{"inputs", inputs}});
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(second.header("x-cache-hits"), "8");
  EXPECT_EQ(second.body, first.body) << "a cached answer is the computed one, bit for bit";
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto got = body_json(second)[i];
    for (size_t k = 0; k < got.size(); ++k) {
      EXPECT_EQ(got[k]["label"], rows[i]["all_scores"][k]["label"]);
      EXPECT_NEAR(got[k]["score"].get<double>(), rows[i]["all_scores"][k]["score"].get<double>(), 1e-4);
    }
  }
  // Other routes and score functions reuse the same logits; a partly cached batch computes the rest.
  auto r = post(
      server.port(), "/",
      {{"inputs", {rows[0]["text"], rows[20]["text"]}}, {"parameters", {{"function_to_apply", "none"}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-cache-hits"), "1");
  const auto fresh = post(server.port(), "/",
                          {{"inputs", {rows[20]["text"]}}, {"parameters", {{"function_to_apply", "none"}}}});
  EXPECT_EQ(body_json(r)[1], body_json(fresh)[0]);
  EXPECT_EQ(fresh.header("x-cache-hits"), "1");
  EXPECT_EQ(metric(server.port(), "verdict_cache_hits_total"), 10);
  EXPECT_EQ(metric(server.port(), "verdict_cache_misses_total"), 9);
  EXPECT_EQ(metric(server.port(), "verdict_cache_entries"), 9);
  // Truncation changes the key: a long text cached truncated is still refused untruncated.
  std::string words;
  for (int i = 0; i < 600; ++i) words += "word ";
  ASSERT_EQ(post(server.port(), "/predict", {{"inputs", words}, {"truncate", true}}).status, 200);
  EXPECT_EQ(post(server.port(), "/predict", {{"inputs", words}, {"truncate", false}}).status, 422);
  EXPECT_EQ(server.terminate(), 0) << server.logs();
}

TEST(CacheTest, TheBoundHoldsByEvictingTheLeastRecentlyUsed) {
  ServerProcess server({"--model", model_dir("distilbert-sst2-tiny").string(), "--cache-size", "3"});
  ASSERT_TRUE(server.running()) << server.logs();
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(post(server.port(), "/predict", {{"inputs", "review number " + std::to_string(i)}}).status,
              200);
  }
  EXPECT_EQ(metric(server.port(), "verdict_cache_entries"), 3);
  EXPECT_EQ(metric(server.port(), "verdict_cache_evictions_total"), 2);
  // 0 and 1 were evicted, 4 is still there.
  EXPECT_EQ(post(server.port(), "/predict", {{"inputs", "review number 4"}}).header("x-cache-hits"), "1");
  EXPECT_EQ(post(server.port(), "/predict", {{"inputs", "review number 0"}}).header("x-cache-hits"), "0");
  EXPECT_EQ(metric(server.port(), "verdict_cache_entries"), 3);
  EXPECT_EQ(server.terminate(), 0) << server.logs();
}

TEST(CacheTest, SizeZeroTurnsItOffAndAnswersStayRight) {
  ServerProcess server({"--model", model_dir("distilbert-sst2-tiny").string()}, {"VERDICT_CACHE_SIZE=0"});
  ASSERT_TRUE(server.running()) << server.logs();
  const auto a = post(server.port(), "/predict", {{"inputs", "that was great"}});
  const auto b = post(server.port(), "/predict", {{"inputs", "that was great"}});
  ASSERT_EQ(a.status, 200);
  // Computed twice. Not compared bit for bit: the first may run while fp32 layers are still
  // being packed (README "Start-up"); both routes are exact fp32 but round differently.
  ASSERT_EQ(body_json(a).size(), body_json(b).size());
  for (size_t k = 0; k < body_json(a).size(); ++k) {
    EXPECT_EQ(body_json(a)[k]["label"], body_json(b)[k]["label"]);
    EXPECT_NEAR(body_json(a)[k]["score"].get<double>(), body_json(b)[k]["score"].get<double>(), 1e-6);
  }
  EXPECT_EQ(b.header("x-cache-hits"), "0");
  EXPECT_EQ(metric(server.port(), "verdict_cache_hits_total"), 0);
  EXPECT_EQ(metric(server.port(), "verdict_cache_entries"), 0);
  EXPECT_NEAR(body_json(a)[0]["score"].get<double>(), 0.9148, 1e-3);
  EXPECT_EQ(server.terminate(), 0) << server.logs();
}

// ---- Explanations -------------------------------------------------------------------------

// The other words joined by single spaces, as the explanation defines the variant.
std::string without_word(const json& words, size_t skip) {
  std::string rest;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i == skip) continue;
    if (!rest.empty()) rest += ' ';
    rest += words[i]["word"].get<std::string>();
  }
  return rest;
}

double score_of(const json& predictions, const std::string& label) {
  for (const auto& p : predictions)
    if (p["label"] == label) return p["score"].get<double>();
  ADD_FAILURE() << "no label " << label << " in " << predictions.dump();
  return -1;
}

class ExplainTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // No cache: /predict computes the variants again, independently of /explain.
    server_ = new ServerProcess(
        {"--model", model_dir("distilbert-sst2-tiny").string(), "--api-key", "k1", "--cache-size", "0"});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  HttpResult explain(const json& body, bool with_key = true) {
    return post(server_->port(), "/explain", body,
                with_key ? std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer k1"}}
                         : std::vector<std::pair<std::string, std::string>>{});
  }
  json predict(const std::string& text) {
    const auto r = post(server_->port(), "/predict", {{"inputs", text}}, {{"Authorization", "Bearer k1"}});
    EXPECT_EQ(r.status, 200) << r.body;
    return body_json(r);
  }
  static ServerProcess* server_;
};
ServerProcess* ExplainTest::server_ = nullptr;

TEST_F(ExplainTest, RemovingTheHighestWeightWordMovesThePredictScoreByExactlyThatWeight) {
  ASSERT_TRUE(server_->running()) << server_->logs();
  const auto rows = testing::read_jsonl(model_dir("distilbert-sst2-tiny") / "expected.jsonl");
  size_t checked = 0;
  for (const auto& row : rows) {
    if (row.contains("text_pair")) continue;
    const std::string text = row["text"];
    const auto r = explain({{"inputs", text}});
    if (r.status == 413) continue;  // over the word limit
    ASSERT_EQ(r.status, 200) << r.body;
    const auto e = body_json(r);
    // The label and score are the golden pipeline's.
    EXPECT_EQ(e["label"], row["label"]) << text;
    EXPECT_NEAR(e["score"].get<double>(), row["score"].get<double>(), 1e-4) << text;
    const auto& words = e["words"];
    if (words.size() < 2) continue;  // the text without its only word is empty
    size_t top = 0;
    for (size_t i = 1; i < words.size(); ++i) {
      if (words[i]["weight"].get<double>() > words[top]["weight"].get<double>()) top = i;
    }
    const double full = score_of(predict(text), e["label"]);
    const double rest = score_of(predict(without_word(words, top)), e["label"]);
    EXPECT_NEAR(full - rest, words[top]["weight"].get<double>(), 1e-4)
        << text << " without " << words[top]["word"];
    if (++checked == 12) break;
  }
  EXPECT_EQ(checked, 12u);
}

TEST_F(ExplainTest, WordsCarryCodePointOffsetsAndAnyLabelCanBeExplained) {
  const std::string text = "  Héllo,\twörld  great";
  auto r = explain({{"inputs", text}, {"parameters", {{"label", "POSITIVE"}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto e = body_json(r);
  EXPECT_EQ(e["label"], "POSITIVE");
  EXPECT_NEAR(e["score"].get<double>(), score_of(predict(text), "POSITIVE"), 1e-4);
  ASSERT_EQ(e["words"].size(), 3u);
  EXPECT_EQ(e["words"][0],
            json({{"word", "Héllo,"}, {"start", 2}, {"stop", 8}, {"weight", e["words"][0]["weight"]}}));
  EXPECT_EQ(e["words"][1]["start"], 9);
  EXPECT_EQ(e["words"][1]["stop"], 14);
  EXPECT_EQ(e["words"][2]["word"], "great");
  EXPECT_EQ(e["words"][2]["start"], 16);
}

TEST_F(ExplainTest, LimitsAndMalformedRequestsGetJsonErrors) {
  std::string many, enough;
  for (int i = 0; i < 129; ++i) many += "word ";
  for (int i = 0; i < 128; ++i) enough += "w" + std::to_string(i) + " ";
  auto r = explain({{"inputs", many}});
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(body_json(r)["error"].get<std::string>().find("at most 128"), std::string::npos) << r.body;
  r = explain({{"inputs", enough}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_json(r)["words"].size(), 128u);
  for (const auto& [body, status] :
       std::vector<std::pair<std::string, int>>{{R"({"inputs": "   "})", 400},
                                                {R"({"inputs": ""})", 400},
                                                {R"({"inputs": ["a", "b"]})", 422},
                                                {R"({"text": "a"})", 422},
                                                {R"({"inputs": "a", "parameters": {"label": "MEH"}})", 422},
                                                {R"({"inputs": "a", "parameters": {"label": 3}})", 422},
                                                {R"({"inputs": "a", "parameters": []})", 422},
                                                {R"({"inputs": "bad \xff"})", 400},
                                                {"{not json", 400}}) {
    r = http_request(server_->port(), "POST", "/explain", body, {{"Authorization", "Bearer k1"}});
    EXPECT_EQ(r.status, status) << body << " -> " << r.body;
    EXPECT_TRUE(body_json(r).contains("error")) << body;
  }
  // Invalid UTF-8 inside a JSON string is the tokenizer's 422.
  r = http_request(server_->port(), "POST", "/explain", std::string("{\"inputs\": \"bad \xff word\"}"),
                   {{"Authorization", "Bearer k1"}});
  EXPECT_TRUE(r.status == 400 || r.status == 422) << r.status << " " << r.body;
}

TEST_F(ExplainTest, TheApiKeyIsRequired) {
  EXPECT_EQ(explain({{"inputs", "that was great"}}, false).status, 401);
  EXPECT_EQ(http_request(server_->port(), "POST", "/explain", R"({"inputs": "x"})",
                         {{"Authorization", "Bearer no"}})
                .status,
            401);
  EXPECT_EQ(explain({{"inputs", "that was great"}}).status, 200);
}

TEST(ExplainCliTest, PrintsTheSameExplanationAsTheServer) {
  const std::string text = "The delivery was late and the box was broken";
  testing::ProcessResult cli =
      testing::run_process({testing::verdict_binary(), "explain", "--model",
                            model_dir("distilbert-sst2-tiny").string(), "--json", text});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  const auto local = json::parse(cli.out);
  ServerProcess server({"--model", model_dir("distilbert-sst2-tiny").string()});
  const auto remote = body_json(post(server.port(), "/explain", {{"inputs", text}}));
  EXPECT_EQ(local["label"], remote["label"]);
  ASSERT_EQ(local["words"].size(), remote["words"].size());
  for (size_t i = 0; i < local["words"].size(); ++i) {
    EXPECT_EQ(local["words"][i]["word"], remote["words"][i]["word"]);
    EXPECT_NEAR(local["words"][i]["weight"].get<double>(), remote["words"][i]["weight"].get<double>(), 1e-5);
  }
  cli = testing::run_process(
      {testing::verdict_binary(), "explain", "--model", model_dir("distilbert-sst2-tiny").string(), text});
  ASSERT_EQ(cli.exit_code, 0);
  EXPECT_NE(cli.out.find("label: " + local["label"].get<std::string>()), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("  broken\n"), std::string::npos) << cli.out;
}

// ---- The console ---------------------------------------------------------------------------

TEST(ConsoleTest, ThePageIsServedWithAStrictCspAndHistoryIsOffByDefault) {
  ServerProcess server({"--model", model_dir("distilbert-sst2-tiny").string(), "--api-key", "k1"});
  ASSERT_TRUE(server.running()) << server.logs();
  auto r = http_request(server.port(), "GET", "/ui");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type").rfind("text/html", 0), 0u);
  EXPECT_NE(r.header("content-security-policy").find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(r.header("content-security-policy").find("unsafe-inline"), std::string::npos);
  EXPECT_NE(r.body.find("<script src=\"/ui/app.js\""), std::string::npos);
  EXPECT_EQ(r.body.find("http://"), std::string::npos) << "nothing loaded from elsewhere";
  EXPECT_EQ(r.body.find("https://"), std::string::npos) << "nothing loaded from elsewhere";
  r = http_request(server.port(), "GET", "/ui/app.js");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type").rfind("text/javascript", 0), 0u);
  EXPECT_NE(r.body.find("/explain"), std::string::npos);
  EXPECT_EQ(http_request(server.port(), "GET", "/ui/app.css").header("content-type").rfind("text/css", 0),
            0u);
  EXPECT_EQ(http_request(server.port(), "GET", "/ui/history").status, 401);
  ASSERT_EQ(
      post(server.port(), "/predict", {{"inputs", "a private review"}}, {{"Authorization", "Bearer k1"}})
          .status,
      200);
  r = http_request(server.port(), "GET", "/ui/history", "", {{"Authorization", "Bearer k1"}});
  ASSERT_EQ(r.status, 200);
  const auto h = body_json(r);
  EXPECT_EQ(h["enabled"], false);
  EXPECT_TRUE(h["recent"].empty()) << "nothing is kept without --ui-history";
  EXPECT_TRUE(h["series"].empty());
  EXPECT_EQ(r.body.find("private"), std::string::npos);
}

// Discord signing, as Discord does it, for a complaint that raises an alert.
std::string sign_hex(const std::string& message, const unsigned char* sk) {
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       sk);
  char hex[2 * sizeof sig + 1];
  sodium_bin2hex(hex, sizeof hex, sig, sizeof sig);
  return hex;
}

TEST(ConsoleTest, HistoryKeepsTheLastNTextsTheAlertsSentAndPerMinuteCounts) {
  ASSERT_GE(sodium_init(), 0);
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  char pk_hex[2 * sizeof pk + 1];
  sodium_bin2hex(pk_hex, sizeof pk_hex, pk, sizeof pk);
  testing::FakeHttpServer support;
  ServerProcess server({"--model", model_dir("distilbert-sst2-tiny").string(), "--ui-history", "3",
                        "--discord-public-key", pk_hex, "--discord-alert-webhook", support.url("/hook")});
  ASSERT_TRUE(server.running()) << server.logs();
  for (const char* text : {"first", "second", "third"}) {
    ASSERT_EQ(post(server.port(), "/predict", {{"inputs", text}}).status, 200);
  }
  ASSERT_EQ(post(server.port(), "/explain", {{"inputs", "fourth review"}}).status, 200);
  // "that was great" is NEGATIVE 0.915 in this random model: a complaint.
  const std::string body = R"({"type": 2, "member": {"user": {"id": "42", "username": "ann"}},
      "data": {"type": 1, "name": "review", "options": [{"name": "text", "type": 3, "value": "that was great"}]}})";
  const std::string ts = std::to_string(std::time(nullptr));
  ASSERT_EQ(http_request(server.port(), "POST", "/discord/interactions", body,
                         {{"X-Signature-Ed25519", sign_hex(ts + body, sk)}, {"X-Signature-Timestamp", ts}})
                .status,
            200);
  const auto h = body_json(http_request(server.port(), "GET", "/ui/history"));
  EXPECT_EQ(h["enabled"], true);
  ASSERT_EQ(h["recent"].size(), 3u) << h.dump();
  EXPECT_EQ(h["recent"][0]["text"], "that was great");
  EXPECT_EQ(h["recent"][0]["source"], "discord");
  EXPECT_EQ(h["recent"][1]["text"], "fourth review");
  EXPECT_EQ(h["recent"][1]["source"], "explain");
  EXPECT_EQ(h["recent"][2]["text"], "third");
  const auto predicted = body_json(post(server.port(), "/predict", {{"inputs", "third"}}));
  EXPECT_EQ(h["recent"][2]["label"], predicted[0]["label"]);
  EXPECT_NEAR(h["recent"][2]["score"].get<double>(), predicted[0]["score"].get<double>(), 1e-6);
  ASSERT_EQ(h["alerts"].size(), 1u);
  EXPECT_EQ(h["alerts"][0]["destination"], "discord alert");
  EXPECT_EQ(h["alerts"][0]["author"], "ann");
  EXPECT_EQ(h["alerts"][0]["text"], "that was great");
  size_t counted = 0;
  for (const auto& minute : h["series"]) {
    for (const auto& [label, n] : minute["counts"].items()) counted += n.get<size_t>();
  }
  EXPECT_EQ(counted, 5u) << "every classification counts, beyond the 3 texts kept";
  EXPECT_EQ(h["negative_label"], "NEGATIVE");
  EXPECT_EQ(support.wait_for(1, 5000), 1u);
  EXPECT_EQ(server.terminate(), 0) << server.logs();
  EXPECT_EQ(server.logs().find("fourth review"), std::string::npos) << "texts are not logged";
}

}  // namespace
}  // namespace verdict
