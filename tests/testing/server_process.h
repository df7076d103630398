// Starts `verdict serve` on 127.0.0.1 with a free port for a test, and stops it.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace verdict::testing {

struct HttpResult {
  int status = 0;  // 0: no HTTP response
  bool connected = false;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& lower_name) const;
};

// One request on a fresh connection (Connection: close). status 0 when the connection failed.
HttpResult http_request(int port, const std::string& method, const std::string& target,
                        const std::string& body = "",
                        const std::vector<std::pair<std::string, std::string>>& headers = {});

// A raw connection to 127.0.0.1:port (receives time out after recv_timeout_s), for what
// http_request cannot send; -1 when nothing listens.
int connect_loopback(int port, int recv_timeout_s = 30);
// Sends every byte unless the peer stops reading; false then.
bool send_all(int fd, std::string_view bytes);
// Reads until `until` appears (empty: until the peer closes or the receive times out).
std::string receive(int fd, std::string_view until = {});

// The body parsed as JSON; fails the calling test (and returns a discarded value) if it is not JSON.
nlohmann::json body_json(const HttpResult& r);

class ServerProcess {
 public:
  // Runs `verdict serve --host 127.0.0.1 --port 0 <args>` and waits until it listens.
  explicit ServerProcess(const std::vector<std::string>& args, const std::vector<std::string>& env = {});
  ~ServerProcess();  // SIGKILL if still running
  int port() const { return port_; }
  bool running() const { return port_ > 0; }
  // SIGTERM, then waits; returns the exit code (or 128 + signal).
  int terminate();
  std::string logs();  // stdout + stderr so far

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int out_fd_ = -1;
  std::thread reader_;
  std::mutex mu_;
  std::string logs_;
  int exit_code_ = -1;
  std::atomic<int> found_port_{0};  // 0: not yet, -1: the server exited first
};

}  // namespace verdict::testing
