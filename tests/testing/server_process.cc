#include "testing/server_process.h"

#include <algorithm>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <regex>

#include <gtest/gtest.h>

#include "testing/process.h"

namespace verdict::testing {

std::string HttpResult::header(const std::string& lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return "";
}

nlohmann::json body_json(const HttpResult& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.body;
  return j;
}

int connect_loopback(int port, int recv_timeout_s) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{recv_timeout_s, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

bool send_all(int fd, std::string_view bytes) {
  for (size_t sent = 0; sent < bytes.size();) {
    const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string receive(int fd, std::string_view until) {
  std::string out;
  char buf[65536];
  while (until.empty() || out.find(until) == std::string::npos) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

HttpResult http_request(int port, const std::string& method, const std::string& target, const std::string& body,
                        const std::vector<std::pair<std::string, std::string>>& headers) {
  HttpResult result;
  const int fd = connect_loopback(port);
  if (fd < 0) return result;
  result.connected = true;
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  bool has_type = false;
  for (const auto& [k, v] : headers) {
    req += k + ": " + v + "\r\n";
    has_type |= strcasecmp(k.c_str(), "content-type") == 0;
  }
  if (!body.empty() || method == "POST") {
    if (!has_type) req += "Content-Type: application/json\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  send_all(fd, req);  // the server may answer (413) before reading everything
  const std::string raw = receive(fd);
  close(fd);
  const auto head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos) return result;
  result.status = std::stoi(raw.substr(9, 3));
  size_t pos = raw.find("\r\n") + 2;
  while (pos < head_end) {
    const auto eol = raw.find("\r\n", pos);
    const auto line = raw.substr(pos, eol - pos);
    const auto colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    result.headers.emplace_back(name, value);
    pos = eol + 2;
  }
  result.body = raw.substr(head_end + 4);
  return result;
}

ServerProcess::ServerProcess(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  int out[2];
  if (pipe(out) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], 1);
    dup2(out[1], 2);
    close(out[0]);
    close(out[1]);
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    std::vector<std::string> argv = {verdict_binary(), "serve", "--host", "127.0.0.1", "--port", "0"};
    // Text logs unless the test asks for a format (the "serving … on" line is found in both).
    if (std::find(args.begin(), args.end(), "--log-format") == args.end()) {
      argv.insert(argv.end(), {"--log-format", "text"});
    }
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargs;
    for (auto& a : argv) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    execv(cargs[0], cargs.data());
    _exit(127);
  }
  close(out[1]);
  out_fd_ = out[0];
  std::atomic<int>& port = found_port_;
  reader_ = std::thread([this] {
    std::atomic<int>& port = found_port_;
    char buf[4096];
    const std::regex listening("serving .* on 127\\.0\\.0\\.1:([0-9]+) ");
    for (;;) {
      const ssize_t n = read(out_fd_, buf, sizeof buf);
      if (n <= 0) break;
      std::lock_guard lock(mu_);
      logs_.append(buf, static_cast<size_t>(n));
      std::smatch m;
      if (port.load() == 0 && std::regex_search(logs_, m, listening)) port.store(std::stoi(m[1]));
    }
    port.store(port.load() == 0 ? -1 : port.load());
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (port.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  port_ = port.load() > 0 ? port.load() : 0;
}

int ServerProcess::terminate() {
  if (pid_ <= 0) return exit_code_;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return exit_code_;
}

std::string ServerProcess::logs() {
  std::lock_guard lock(mu_);
  return logs_;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (reader_.joinable()) reader_.join();
  if (out_fd_ >= 0) close(out_fd_);
}

}  // namespace verdict::testing
