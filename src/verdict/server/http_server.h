// An asynchronous HTTP/1.1 server (Boost.Beast): a few I/O threads multiplex every connection,
// so hundreds of idle or slow clients cost memory, not threads. Complete requests are handed
// to a worker pool; the handler answers through a Respond callback from any thread.
// Only http_server.cc includes Beast.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "verdict/common/error.h"

namespace verdict::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path and query
  std::string path;    // percent-decoded path
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_ip;
  std::chrono::steady_clock::time_point received;
  // Set when the client closed its connection while the request was being served.
  std::shared_ptr<const std::atomic<bool>> client_gone;

  std::optional<std::string> header(std::string_view lower_name) const;
  std::optional<std::string> query_param(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using Respond = std::function<void(HttpResponse)>;
// Runs on a worker thread; must call respond exactly once (now or later, from any thread).
using Handler = std::function<void(HttpRequest, Respond)>;
// Builds the response for requests the HTTP layer refuses itself (oversized, malformed, over
// the connection limit, a handler's exception), given what is known of the request (method,
// path and headers once parsed; the client's address), so it can be logged and counted too.
using ErrorResponder = std::function<HttpResponse(const HttpRequest& known, int status, const std::string& message)>;

struct HttpServerOptions {
  std::string host = "0.0.0.0";
  uint16_t port = 8080;        // 0: any free port (see HttpServer::port())
  size_t io_threads = 1;
  size_t worker_threads = 2;   // JSON parsing, tokenization, response building
  size_t payload_limit = 2'000'000;  // request body bytes; beyond: 413
  size_t header_limit = 16 * 1024;   // request header bytes; beyond: 431
  std::chrono::milliseconds read_timeout{30'000};   // to receive one whole request
  std::chrono::milliseconds idle_timeout{60'000};   // keep-alive connection without a request
  std::chrono::milliseconds write_timeout{30'000};
  size_t max_connections = 10'000;  // beyond: accepted, answered 503 and closed
  // Request body bytes all connections may hold at once (bodies of 64 KiB or less always pass);
  // beyond: 503 with Retry-After. 0: 32 times payload_limit.
  size_t max_buffered_bytes = 0;
  // Requests answered on the I/O thread instead of the worker pool (health probes, metrics):
  // cheap, and never queued behind tokenization.
  std::function<bool(const HttpRequest&)> answers_inline;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Handler handler, ErrorResponder errors);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting. Errors name the address.
  Status start();
  uint16_t port() const;
  // Stops accepting new connections; open ones finish their current request.
  void stop_accepting();
  // Stops everything: closes connections, joins threads. Idempotent.
  void stop();
  size_t open_connections() const;
  // Requests read and not yet fully written back.
  size_t active_requests() const;

  struct Impl;  // public so the connection code in the .cc can name it

 private:
  std::unique_ptr<Impl> impl_;
};

// Percent-decoding of URL components ('+' as space in queries). Invalid escapes are kept as is.
std::string url_decode(std::string_view s, bool plus_as_space);

}  // namespace verdict::server
