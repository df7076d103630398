#include "verdict/server/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>

#include <thread>

#include "verdict/common/thread_name.h"

namespace verdict::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::optional<std::string> HttpRequest::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return std::nullopt;
}

std::optional<std::string> HttpRequest::query_param(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::string url_decode(std::string_view s, bool plus_as_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else if (plus_as_space && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

namespace {

void parse_target(HttpRequest& r) {
  const auto q = r.target.find('?');
  r.path = url_decode(std::string_view(r.target).substr(0, q), false);
  if (q == std::string::npos) return;
  std::string_view rest = std::string_view(r.target).substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto part = rest.substr(0, amp);
    if (!part.empty()) {
      const auto eq = part.find('=');
      r.query.emplace_back(url_decode(part.substr(0, eq), true),
                           eq == std::string_view::npos ? "" : url_decode(part.substr(eq + 1), true));
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
}

}  // namespace

struct HttpServer::Impl {
  // Declared first, destroyed last: sessions freed with the io_context still count down.
  std::atomic<size_t> connections{0};
  std::atomic<bool> stopped{false};
  std::atomic<bool> draining{false};  // stop_accepting() was called: answers close their connection
  std::atomic<size_t> active{0};
  std::atomic<size_t> buffered{0};  // request body bytes reserved by connections (max_buffered_bytes)
  HttpServerOptions options;
  Handler handler;
  ErrorResponder errors;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  tcp::acceptor acceptor{io};
  asio::thread_pool workers;
  std::vector<std::thread> io_threads;
  uint16_t bound_port = 0;

  Impl(HttpServerOptions o, Handler h, ErrorResponder e)
      : options(std::move(o)), handler(std::move(h)), errors(std::move(e)), workers(std::max<size_t>(1, options.worker_threads)) {
    if (options.max_buffered_bytes == 0) options.max_buffered_bytes = 32 * options.payload_limit;
  }

  void accept();
  void refuse_connection(tcp::socket socket);
};

namespace {

// Bodies this small never wait for the budget: they are most requests and cost little.
constexpr size_t kAlwaysAdmittedBody = 64 * 1024;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl& server) : stream_(std::move(socket)), server_(server) {}
  ~Session() {
    release_body_reservation();
    if (counted_) server_.active.fetch_sub(1);
    server_.connections.fetch_sub(1);
  }

  void start() { read_request(/*first=*/true); }

 private:
  void read_request(bool first) {
    parser_.emplace();
    parser_->body_limit(server_.options.payload_limit);
    parser_->header_limit(static_cast<std::uint32_t>(server_.options.header_limit));
    // An idle keep-alive connection gets idle_timeout; once bytes arrive the whole request
    // must come within read_timeout (Beast's timer covers the complete read).
    stream_.expires_after(first ? server_.options.read_timeout : server_.options.idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  // Between the head and the body: refuse what the head already shows to be unacceptable, reserve
  // the body's bytes from the server-wide budget, and answer Expect: 100-continue.
  void on_header(beast::error_code ec) {
    if (ec) return on_read(ec);
    stream_.expires_after(server_.options.read_timeout);
    const auto& head = parser_->get();
    if (head.count(http::field::transfer_encoding) && !parser_->chunked()) {
      return refuse(400, "Transfer-Encoding must end in chunked (no other coding is accepted)");
    }
    // A body's bytes are held until its answer is written: without a bound over all connections,
    // a few hundred half-sent bodies take more memory than a small instance has.
    const size_t body = parser_->chunked() ? server_.options.payload_limit
                                           : static_cast<size_t>(parser_->content_length().value_or(0));
    if (body > kAlwaysAdmittedBody) {
      if (server_.buffered.fetch_add(body) + body > server_.options.max_buffered_bytes) {
        server_.buffered.fetch_sub(body);
        return refuse(503, "too many large request bodies are being received at once; retry shortly");
      }
      reserved_ = body;
    }
    const auto expect = head[http::field::expect];
    if (head.version() == 11 && beast::iequals(expect, "100-continue") && body > 0) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      return asio::async_write(stream_, asio::buffer(kContinue),
                               [self = shared_from_this()](beast::error_code wec, size_t) {
                                 if (wec) return self->close();
                                 self->read_body();
                               });
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void release_body_reservation() {
    if (reserved_) server_.buffered.fetch_sub(reserved_);
    reserved_ = 0;
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset) {
      return close();
    }
    if (ec == http::error::body_limit) {
      return refuse(413, "request body is larger than the payload limit of " +
                             std::to_string(server_.options.payload_limit) + " bytes");
    }
    if (ec == http::error::header_limit) {
      // Beast parses the start line before the fields: no target yet means the request line
      // alone passed the limit — a long URL (a GET /?review=… of a whole essay), which RFC 9110
      // answers 414, telling the client to POST it instead.
      if (parser_->get().target().empty()) {
        return refuse(414, "the request line is longer than " + std::to_string(server_.options.header_limit) +
                               " bytes; send long texts in a POST body");
      }
      return refuse(431, "request headers are larger than " + std::to_string(server_.options.header_limit) +
                             " bytes");
    }
    if (ec == beast::error::timeout || ec == asio::error::operation_aborted) return close();
    if (ec) return refuse(400, std::string("malformed HTTP request: ") + ec.message());

    auto req = parser_->release();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    head_ = req.method() == http::verb::head;
    HttpRequest r = from_head(req);
    r.body = std::move(req.body());
    client_gone_ = std::make_shared<std::atomic<bool>>(false);
    r.client_gone = client_gone_;
    stream_.expires_never();
    watch_for_disconnect();
    server_.active.fetch_add(1);
    counted_ = true;

    auto self = shared_from_this();
    Respond respond = [self](HttpResponse response) {
      asio::post(self->stream_.get_executor(),
                 [self, response = std::move(response)]() mutable { self->write(std::move(response)); });
    };
    // Probes and metrics are answered here, on the I/O thread: a queue of requests waiting for
    // the tokenizer must not make a health check time out and get the instance restarted.
    // A handler's exception is a bug: its answer names no detail, its log line the request.
    HttpRequest known;
    known.method = r.method;
    known.target = r.target;
    known.path = r.path;
    known.remote_ip = r.remote_ip;
    known.received = r.received;
    if (server_.options.answers_inline && server_.options.answers_inline(r)) {
      try {
        server_.handler(std::move(r), respond);
      } catch (const std::exception&) {
        respond(server_.errors(known, 500, "internal error"));
      }
      return;
    }
    asio::post(server_.workers, [self, r = std::move(r), known = std::move(known), respond = std::move(respond)]() mutable {
      thread_local const bool named = (name_this_thread("verdict-http"), true);  // asio made the thread
      (void)named;
      try {
        self->server_.handler(std::move(r), respond);
      } catch (const std::exception&) {
        respond(self->server_.errors(known, 500, "internal error"));
      }
    });
  }

  // While the handler runs, a readable socket with nothing to read means the client left.
  void watch_for_disconnect() {
    stream_.socket().async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return;  // cancelled: the response is being written
      char byte;
      beast::error_code peek_ec;
      const size_t n = self->stream_.socket().receive(asio::buffer(&byte, 1), tcp::socket::message_peek, peek_ec);
      if (peek_ec || n == 0) self->client_gone_->store(true);
    });
  }

  // Method, target, lower-cased headers and the client's address of a (possibly partial) head.
  template <class Head>
  HttpRequest from_head(const Head& head) {
    HttpRequest r;
    r.method = std::string(head.method_string());
    r.target = std::string(head.target());
    parse_target(r);
    for (const auto& field : head) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    beast::error_code ignored;
    const auto endpoint = stream_.socket().remote_endpoint(ignored);
    r.remote_ip = ignored ? "" : endpoint.address().to_string();
    r.received = std::chrono::steady_clock::now();
    return r;
  }

  // What the parser has of a request it will not finish, for the refusal's log line.
  HttpRequest known_so_far() {
    if (parser_) return from_head(parser_->get());
    return from_head(http::request<http::string_body>{});
  }

  void refuse(int status, const std::string& message) {
    keep_alive_ = false;
    version_ = 11;
    auto response = server_.errors(known_so_far(), status, message);
    if (status == 503) response.headers.emplace_back("Retry-After", "1");
    write(std::move(response));
  }

  void write(HttpResponse r) {
    beast::error_code ignored;
    stream_.socket().cancel(ignored);  // stop the disconnect watch
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), version_);
    res->set(http::field::server, "verdict");
    res->set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res->set(k, v);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive_ && !server_.draining.load() && !server_.stopped.load());
    res->prepare_payload();
    if (head_) {  // the GET answer's headers, Content-Length included, and no body (RFC 9110 9.3.2)
      const auto length = res->body().size();
      res->body().clear();
      res->content_length(length);
    }
    stream_.expires_after(server_.options.write_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      self->release_body_reservation();
      if (self->counted_) {
        self->counted_ = false;
        self->server_.active.fetch_sub(1);
      }
      if (ec || !res->keep_alive()) return self->close();
      self->read_request(/*first=*/false);
    });
  }

  // A lingering close, as nginx does: after our FIN, what the client still sends (the rest of a
  // body refused with 413) is read and dropped for a moment. Closing at once would answer those
  // bytes with a reset, which can destroy the refusal before the client reads it.
  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (discard_ || !stream_.socket().is_open()) {
      stream_.socket().close(ignored);
      return;
    }
    discard_ = std::make_unique<char[]>(kDiscardSize);
    stream_.expires_after(std::chrono::seconds(1));
    discard_rest();
  }

  void discard_rest() {
    stream_.async_read_some(asio::buffer(discard_.get(), kDiscardSize),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (!ec) return self->discard_rest();
                              beast::error_code ignored;
                              self->stream_.socket().close(ignored);
                            });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpServer::Impl& server_;
  std::shared_ptr<std::atomic<bool>> client_gone_;
  bool keep_alive_ = true;
  bool head_ = false;     // a HEAD request: its answer has no body
  static constexpr size_t kDiscardSize = 16 * 1024;
  std::unique_ptr<char[]> discard_;  // set once the connection is closing (lingering close)
  size_t reserved_ = 0;   // bytes of HttpServer::Impl::buffered this request holds
  bool counted_ = false;  // this request is in HttpServer::active
  unsigned version_ = 11;
};

}  // namespace

void HttpServer::Impl::accept() {
  acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    } else if (connections.fetch_add(1) >= options.max_connections) {
      connections.fetch_sub(1);
      refuse_connection(std::move(socket));
    } else {
      std::make_shared<Session>(std::move(socket), *this)->start();
    }
    if (acceptor.is_open()) accept();
  });
}

// Past max_connections a client still gets an answer it can act on, not a silent close.
void HttpServer::Impl::refuse_connection(tcp::socket socket) {
  HttpRequest known;  // nothing was read: the client's address only
  beast::error_code ignored;
  const auto endpoint = socket.remote_endpoint(ignored);
  known.remote_ip = ignored ? "" : endpoint.address().to_string();
  known.received = std::chrono::steady_clock::now();
  auto response = errors(known, 503, "too many open connections; retry shortly");
  auto res = std::make_shared<http::response<http::string_body>>(http::status::service_unavailable, 11);
  res->set(http::field::server, "verdict");
  res->set(http::field::content_type, response.content_type);
  res->set(http::field::retry_after, "1");
  res->body() = std::move(response.body);
  res->keep_alive(false);
  res->prepare_payload();
  auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
  stream->expires_after(std::chrono::seconds(2));
  http::async_write(*stream, *res, [stream, res](beast::error_code, size_t) {
    beast::error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream->socket().close(ignored);
  });
}

HttpServer::HttpServer(HttpServerOptions options, Handler handler, ErrorResponder errors)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(errors))) {}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start() {
  auto& s = *impl_;
  beast::error_code ec;
  // An address literal; "localhost" is the one name taken (no resolver at start-up).
  const auto address = asio::ip::make_address(s.options.host == "localhost" ? "127.0.0.1" : s.options.host, ec);
  if (ec) {
    return make_error(ErrorCode::kInvalidArgument, "invalid host '" + s.options.host + "': " + ec.message() +
                                                       " (an IP address such as 0.0.0.0, 127.0.0.1 or ::, or localhost)");
  }
  const tcp::endpoint endpoint(address, s.options.port);
  const std::string where = s.options.host + ":" + std::to_string(s.options.port);
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return make_error(ErrorCode::kUnavailable, "cannot listen on " + where + ": " + ec.message());
  s.bound_port = s.acceptor.local_endpoint().port();
  s.work.emplace(s.io.get_executor());
  s.accept();
  for (size_t i = 0; i < std::max<size_t>(1, s.options.io_threads); ++i) {
    s.io_threads.emplace_back([&s] {
      name_this_thread("verdict-io");
      s.io.run();
    });
  }
  return {};
}

uint16_t HttpServer::port() const { return impl_->bound_port; }

size_t HttpServer::open_connections() const { return impl_->connections.load(); }
size_t HttpServer::active_requests() const { return impl_->active.load(); }

void HttpServer::stop_accepting() {
  impl_->draining.store(true);
  asio::post(impl_->io, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
}

void HttpServer::stop() {
  auto& s = *impl_;
  if (s.stopped.exchange(true)) return;
  stop_accepting();
  s.work.reset();
  s.io.stop();
  for (auto& t : s.io_threads) t.join();
  s.io_threads.clear();
  s.workers.join();
}

}  // namespace verdict::server
