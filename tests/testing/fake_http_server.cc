#include "testing/fake_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace verdict::testing {

FakeHttpServer::FakeHttpServer(Handler handler) : FakeHttpServer(std::vector<std::pair<int, std::string>>{{204, ""}}) {
  std::lock_guard lock(mu_);
  handler_ = std::move(handler);
}

FakeHttpServer::FakeHttpServer(std::vector<std::pair<int, std::string>> replies) : replies_(std::move(replies)) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  listen(fd_, 64);
  socklen_t len = sizeof addr;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

FakeHttpServer::~FakeHttpServer() {
  stop_ = true;
  thread_.join();
  close(fd_);
}

std::string FakeHttpServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<FakeHttpServer::Received> FakeHttpServer::received() {
  std::lock_guard lock(mu_);
  return received_;
}

size_t FakeHttpServer::wait_for(size_t n, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mu_);
      if (received_.size() >= n) return received_.size();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::lock_guard lock(mu_);
  return received_.size();
}

void FakeHttpServer::serve() {
  size_t count = 0;
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const int c = accept(fd_, nullptr, nullptr);
    if (c < 0) continue;
    std::string raw;
    char buf[8192];
    size_t need = std::string::npos;
    while (raw.size() < need) {
      const ssize_t n = recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      raw.append(buf, static_cast<size_t>(n));
      const auto head = raw.find("\r\n\r\n");
      if (head != std::string::npos && need == std::string::npos) {
        size_t length = 0;
        std::string lower = raw.substr(0, head);
        for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (auto cl = lower.find("content-length:"); cl != std::string::npos) length = std::stoul(lower.substr(cl + 15));
        need = head + 4 + length;
      }
    }
    const auto head = raw.find("\r\n\r\n");
    Received r;
    const auto sp1 = raw.find(' '), sp2 = raw.find(' ', sp1 + 1);
    if (sp1 != std::string::npos && sp2 != std::string::npos) {
      r.method = raw.substr(0, sp1);
      r.path = raw.substr(sp1 + 1, sp2 - sp1 - 1);
    }
    if (head != std::string::npos) {
      r.head = raw.substr(0, head);
      r.body = raw.substr(head + 4);
    }
    {
      std::lock_guard lock(mu_);
      received_.push_back(r);
    }
    Handler handler;
    {
      std::lock_guard lock(mu_);
      handler = handler_;
    }
    if (handler) {
      const Reply reply = handler(r);
      std::string response = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\n";
      bool has_type = false;
      for (const auto& h : reply.headers) {
        response += h + "\r\n";
        if (h.rfind("Content-Type:", 0) == 0) has_type = true;
      }
      if (!has_type) response += "Content-Type: application/json\r\n";
      response += "Content-Length: " + std::to_string(reply.body.size()) + "\r\nConnection: close\r\n\r\n";
      if (r.method != "HEAD") response += reply.body.substr(0, reply.drop_after);
      send(c, response.data(), response.size(), MSG_NOSIGNAL);
      close(c);
      continue;
    }
    const auto& [status, body] = replies_[std::min(count++, replies_.size() - 1)];
    const std::string response = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n"
                                 "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    send(c, response.data(), response.size(), MSG_NOSIGNAL);
    close(c);
  }
}

}  // namespace verdict::testing
