// `verdict serve` past its limits, over real HTTP on 127.0.0.1: a bounded queue that refuses at
// once with 429 + Retry-After, per-request deadlines (504) that skip abandoned work, and clients
// that hang up before their turn, which cost no forward pass.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "testing/server_process.h"
#include "testing/testdata.h"

namespace verdict {
namespace {

using nlohmann::json;
using testing::http_request;
using testing::HttpResult;
using testing::ServerProcess;

std::string model() { return (testing::testdata_dir() / "models" / "bert-3label-tiny").string(); }

// A request whose inputs each fill the model's 512 tokens: with --max-batch-requests 1 every
// input is its own forward pass, so a few of these keep the compute thread busy for a while.
std::string heavy_body(int inputs) {
  std::string text;
  for (int w = 0; w < 600; ++w) text += "terrible ";
  json j = {{"inputs", json::array()}, {"truncate", true}};
  for (int i = 0; i < inputs; ++i) j["inputs"].push_back(json::array({text + std::to_string(i)}));  // TEI's batch form
  return j.dump();
}

// Sum of a Prometheus counter's samples whose labels contain `labels`.
double metric(int port, const std::string& name, const std::string& labels) {
  const auto r = http_request(port, "GET", "/metrics");
  double sum = 0;
  std::istringstream in(r.body);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name, 0) != 0 || line.find(labels) == std::string::npos) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

// Sends `n` requests at once from `n` threads; returns the responses.
std::vector<HttpResult> burst(int port, int n, const std::string& body) {
  std::vector<HttpResult> results(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] { results[i] = http_request(port, "POST", "/predict", body); });
  }
  for (auto& t : threads) t.join();
  return results;
}

TEST(ServeOverloadTest, ABoundedQueueRefusesAtOnceWith429AndRetryAfterAndServesTheAdmitted) {
  ServerProcess server({"--model", model(), "--max-concurrent-requests", "2", "--max-batch-requests", "1"});
  ASSERT_TRUE(server.running()) << server.logs();
  const std::string body = heavy_body(16);
  std::map<int, int> statuses;
  for (int round = 0; round < 5 && statuses[429] == 0; ++round) {
    for (const auto& r : burst(server.port(), 16, body)) {
      ++statuses[r.status];
      if (r.status == 429) {
        EXPECT_EQ(r.header("retry-after"), "1");
        const auto j = json::parse(r.body);
        EXPECT_EQ(j["error_type"], "overloaded") << r.body;
        EXPECT_NE(j["error"].get<std::string>().find("2"), std::string::npos) << "names the limit: " << r.body;
      } else if (r.status == 200) {
        EXPECT_EQ(json::parse(r.body).size(), 16u);
      }
    }
  }
  EXPECT_GT(statuses[429], 0) << "16 clients at once against 2 slots";
  EXPECT_GE(statuses[200], 2);
  for (const auto& [status, count] : statuses) EXPECT_TRUE(status == 200 || status == 429) << status;
  EXPECT_GT(metric(server.port(), "verdict_request_failures_total", "reason=\"overloaded\""), 0);
  // Refusal is immediate and leaves nothing behind: a lone request is served.
  EXPECT_EQ(http_request(server.port(), "POST", "/predict", R"({"inputs": "fine"})").status, 200);
  EXPECT_EQ(server.terminate(), 0) << server.logs();
}

TEST(ServeOverloadTest, RequestsPastTheirDeadlineGet504AndCostNoForwardPass) {
  ServerProcess server({"--model", model(), "--request-timeout-ms", "30", "--max-batch-requests", "1"});
  ASSERT_TRUE(server.running()) << server.logs();
  const std::string body = heavy_body(16);
  std::map<int, int> statuses;
  for (int round = 0; round < 5 && statuses[504] == 0; ++round) {
    for (const auto& r : burst(server.port(), 12, body)) {
      ++statuses[r.status];
      if (r.status == 504) {
        EXPECT_EQ(json::parse(r.body)["error_type"], "timeout") << r.body;
      }
    }
  }
  EXPECT_GT(statuses[504], 0) << "12 heavy requests at once, 30 ms each";
  for (const auto& [status, count] : statuses) EXPECT_TRUE(status == 200 || status == 504) << status;
  // Every input of a timed-out request that was still queued was dropped, not computed: fewer
  // forward passes than inputs sent.
  const double passes = metric(server.port(), "verdict_batch_size_count", "");
  int sent = 0;
  for (const auto& [status, count] : statuses) sent += count * 16;
  EXPECT_LT(passes, sent);
  EXPECT_EQ(server.terminate(), 0) << server.logs();
}

// SIGTERM with more queued than the grace allows: the drain ends at --shutdown-grace-ms (plus
// at most a second for alerts and the last bytes), and what is still queued is answered 503
// instead of being computed after the "stopped" line and cut off.
TEST(ServeOverloadTest, ADrainEndsWithItsGraceAndAnswersTheQueued503) {
  ServerProcess server({"--model", model(), "--max-batch-requests", "1", "--shutdown-grace-ms", "1",
                        "--cache-size", "0"});
  ASSERT_TRUE(server.running()) << server.logs();
  constexpr int kClients = 24;  // each 32 passes of 512 tokens
  const std::string heavy = heavy_body(32);
  std::vector<HttpResult> results(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] { results[i] = http_request(server.port(), "POST", "/predict", heavy); });
  }
  // Half admitted: one computing, the others queued behind it — ~200 ms of work, so the queue is
  // not empty yet when the signal has been taken, even on a loaded machine.
  for (int waited = 0; waited < 5000 && metric(server.port(), "verdict_requests_in_flight", "") < kClients / 2;
       waited += 2) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(server.terminate(), 0) << server.logs();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (auto& c : clients) c.join();
  std::map<int, int> statuses;
  int abandoned = 0;  // queued at the end of the grace: answered, not computed
  for (const auto& r : results) {
    ++statuses[r.status];
    abandoned += r.status == 503 && r.body.find("before this request's turn") != std::string::npos;
  }
  EXPECT_LT(seconds, 1.0 + 1.0) << "the drain overran its grace (1 ms, plus at most a second)";
  EXPECT_GE(abandoned, 1) << server.logs();
  EXPECT_LE(statuses[0], 1) << "only the request computing at the exit may go unanswered";
  EXPECT_EQ(statuses[200] + statuses[503] + statuses[0], kClients);
  EXPECT_NE(server.logs().find("the queued ones were answered 503"), std::string::npos) << server.logs();
}

// Opens a connection, sends `request`, and closes it without reading.
void send_and_hang_up(int port, const std::string& request) {
  const int fd = testing::connect_loopback(port);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(testing::send_all(fd, request));
  ::close(fd);
}

TEST(ServeOverloadTest, AClientThatHangsUpBeforeItsTurnCostsNoForwardPass) {
  ServerProcess server({"--model", model(), "--max-batch-requests", "1"});
  ASSERT_TRUE(server.running()) << server.logs();
  const std::string heavy = heavy_body(32);
  const std::string light = R"({"inputs": [["a review nobody waits for"], ["and another"]]})";
  const std::string raw = "POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          "Content-Length: " + std::to_string(light.size()) + "\r\n\r\n" + light;
  double gone = 0;
  for (int round = 0; round < 5 && gone == 0; ++round) {
    // Heavy requests first, so the hung-up ones wait behind them in the queue.
    std::vector<std::thread> blockers;
    std::atomic<int> ok{0};
    for (int i = 0; i < 4; ++i) {
      blockers.emplace_back([&] { ok += http_request(server.port(), "POST", "/predict", heavy).status == 200; });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (int i = 0; i < 8; ++i) send_and_hang_up(server.port(), raw);
    for (auto& t : blockers) t.join();
    EXPECT_EQ(ok.load(), 4);
    gone = metric(server.port(), "verdict_request_failures_total", "reason=\"client_closed\"");
  }
  EXPECT_GT(gone, 0) << "requests whose client left are dropped before compute";
  // The server is unharmed.
  EXPECT_EQ(http_request(server.port(), "POST", "/predict", light).status, 200);
  EXPECT_EQ(server.terminate(), 0) << server.logs();
}

}  // namespace
}  // namespace verdict
