// A tiny HTTP server on 127.0.0.1 for tests that need a peer (webhook receivers): records each
// request's path and body and answers from a script of (status, body) replies.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace verdict::testing {

class FakeHttpServer {
 public:
  // Replies are used in order; the last one repeats.
  explicit FakeHttpServer(std::vector<std::pair<int, std::string>> replies = {{204, ""}});
  ~FakeHttpServer();
  int port() const { return port_; }
  std::string url(const std::string& path = "/hook") const;
  struct Received {
    std::string method, path, head, body;  // head: request line and headers
  };
  std::vector<Received> received();
  // Waits until at least n requests arrived (or the timeout passed); returns how many did.
  size_t wait_for(size_t n, int timeout_ms);

 private:
  void serve();
  int fd_ = -1;
  int port_ = 0;
  std::vector<std::pair<int, std::string>> replies_;
  std::mutex mu_;
  std::vector<Received> received_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace verdict::testing
