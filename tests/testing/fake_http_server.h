// A tiny HTTP server on 127.0.0.1 for tests that need a peer (webhook receivers): records each
// request's path and body and answers from a script of (status, body) replies.
#pragma once

#include <atomic>
#include <functional>
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
  struct Received;
  // A computed answer (e.g. a fake Hugging Face Hub). HEAD answers get the headers of `body`
  // without it; drop_after cuts the connection after that many body bytes (a dropped download).
  struct Reply {
    int status = 200;
    std::vector<std::string> headers;  // "Name: value"; Content-Type defaults to application/json
    std::string body;
    size_t drop_after = std::string::npos;
  };
  using Handler = std::function<Reply(const Received&)>;
  explicit FakeHttpServer(Handler handler);
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
  Handler handler_;
  std::mutex mu_;
  std::vector<Received> received_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace verdict::testing
