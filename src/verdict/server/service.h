// The routes of `verdict serve` and the state they share: the original service's GET /, the
// Hugging Face Inference API (POST /), TEI (/predict, /tokenize, /info, /health, /metrics),
// KServe v2 (/v2/...), and /openapi.json. Requests flow HTTP -> parse -> tokenize (worker
// thread) -> batcher (compute thread) -> scores -> HTTP; handlers never run the model.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "verdict/common/metrics.h"
#include "verdict/runtime/batcher.h"
#include "verdict/runtime/pipeline.h"
#include "verdict/runtime/result_cache.h"
#include "verdict/server/api_error.h"
#include "verdict/server/api_keys.h"
#include "verdict/server/http_server.h"
#include "verdict/server/logger.h"
#include "verdict/server/request_parsing.h"
#include "verdict/server/server_config.h"
#include "verdict/server/server_metrics.h"
#include "verdict/server/ui_history.h"
#include "verdict/server/webhook_sender.h"

namespace verdict::server {

// The OpenAPI 3 document (src/verdict/server/openapi.json, embedded at build time).
std::string_view openapi_document();

// KServe's model version: one model is served, as version "1".
inline constexpr std::string_view kModelVersion = "1";

class Service {
 public:
  Service(ServerConfig config, std::unique_ptr<runtime::Pipeline> pipeline, metrics::Registry& registry,
          Logger& logger);
  ~Service();

  // One forward pass, so the first request does not pay for kernel JIT and page faults.
  Status warm_up();
  // The HttpServer handler.
  void handle(HttpRequest request, Respond respond);
  // Responses for requests the HTTP layer refuses itself (HttpServer's ErrorResponder): logged
  // and counted like every other answer, under the route "refused".
  HttpResponse refusal(const HttpRequest& known, int status, const std::string& message);
  // Probes and metrics: cheap, answered on the HTTP I/O thread (HttpServerOptions::answers_inline).
  static bool answers_inline(const HttpRequest& r);

  // SIGTERM: /health and readiness fail, new inference is refused, queued work finishes.
  void start_draining();
  bool wait_idle(std::chrono::milliseconds timeout) { return batcher_.wait_idle(timeout); }
  // The grace period is over: what is still queued is answered 503 now, not computed.
  void abandon_queued() {
    batcher_.abandon_queued(make_error(ErrorCode::kUnavailable,
                                       "the server shut down before this request's turn (--shutdown-grace-ms ended)"));
  }
  size_t in_flight() const { return batcher_.in_flight(); }
  // Waits for queued webhook deliveries (alerts), up to the timeout.
  bool wait_webhooks(std::chrono::milliseconds timeout) { return !webhooks_ || webhooks_->wait_idle(timeout); }
  const ServerConfig& config() const { return config_; }

  // A request being answered: adds common headers, logs and counts it, exactly once.
  class Reply;
  struct Route;

 private:
  using RouteHandler = void (Service::*)(const HttpRequest&, const std::shared_ptr<Reply>&);

  bool authorized(const HttpRequest& request) const;
  void add_cors(const HttpRequest& request, HttpResponse& response) const;
  const Route* match(const HttpRequest& request, const Route** path_route, std::string* allow) const;

  // Inference shared by every classification route: validate, tokenize, queue, score, render.
  using Renderer = std::function<HttpResponse(const ClassifyRequest&, const std::vector<std::vector<model::LabelScore>>&)>;
  std::optional<ApiError> check_batch_size(size_t inputs) const;
  std::optional<ApiError> check_input_length(size_t index, size_t chars) const;  // --max-input-chars  // 413 beyond --max-client-batch-size
  using ErrorRenderer = std::function<HttpResponse(const ApiError&)>;
  // Logits of every input: from the result cache where present, the rest tokenized on this
  // thread and computed by the batcher (one request). Exactly one of `done`/`fail` runs.
  struct Inference {
    std::vector<std::vector<float>> logits;  // one row per input, in input order
    runtime::RequestTimings timings;         // of the computed inputs
    double tokenization_ms = 0;
    size_t chars = 0;        // code points of text and pair, as TEI's x-compute-characters
    size_t tokens = 0;       // ids of every input, computed or answered from the cache
    size_t cache_hits = 0;
  };
  void infer(const std::vector<runtime::TextInput>& inputs, bool truncate, bool truncate_left,
             const std::shared_ptr<Reply>& reply,
             std::function<void(Inference)> done, std::function<void(const ApiError&)> fail);
  void classify(ClassifyRequest request, const std::shared_ptr<Reply>& reply, Renderer render,
                ErrorRenderer on_error = nullptr);

  void get_root(const HttpRequest&, const std::shared_ptr<Reply>&);
  void post_hf(const HttpRequest&, const std::shared_ptr<Reply>&);
  void post_predict(const HttpRequest&, const std::shared_ptr<Reply>&);
  void post_tokenize(const HttpRequest&, const std::shared_ptr<Reply>&);
  void post_rerank(const HttpRequest&, const std::shared_ptr<Reply>&);
  void get_info(const HttpRequest&, const std::shared_ptr<Reply>&);
  void get_health(const HttpRequest&, const std::shared_ptr<Reply>&);
  void get_metrics(const HttpRequest&, const std::shared_ptr<Reply>&);
  void get_openapi(const HttpRequest&, const std::shared_ptr<Reply>&);
  void get_v2(const HttpRequest&, const std::shared_ptr<Reply>&);
  void get_v2_live(const HttpRequest&, const std::shared_ptr<Reply>&);
  void get_v2_ready(const HttpRequest&, const std::shared_ptr<Reply>&);
  void get_v2_model(const HttpRequest&, const std::shared_ptr<Reply>&);
  void get_v2_model_ready(const HttpRequest&, const std::shared_ptr<Reply>&);
  void post_v2_infer(const HttpRequest&, const std::shared_ptr<Reply>&);
  void post_discord(const HttpRequest&, const std::shared_ptr<Reply>&);
  void post_explain(const HttpRequest&, const std::shared_ptr<Reply>&);
  void get_ui(const HttpRequest&, const std::shared_ptr<Reply>&);
  void get_ui_history(const HttpRequest&, const std::shared_ptr<Reply>&);
  // The console's "recent" panel (no-op unless --ui-history).
  void record_history(const std::string& source, const std::string& text, const model::LabelScore& top);
  std::string negative_label() const;
  bool known_model(const HttpRequest& request, const std::shared_ptr<Reply>& reply) const;

  ServerConfig config_;
  std::unique_ptr<runtime::Pipeline> pipeline_;
  Logger& logger_;
  ServerMetrics metrics_;
  metrics::Registry& registry_;
  ApiKeys keys_;
  std::atomic<bool> draining_{false};
  std::vector<Route> routes_;
  std::unique_ptr<WebhookSender> webhooks_;  // when an alert or integration webhook is set
  runtime::ResultCache cache_;
  UiHistory ui_history_;
  runtime::Batcher batcher_;  // last: its thread stops before the rest goes away
};

// A request being answered. Thread-safe; only the first send() counts.
class Service::Reply {
 public:
  Reply(Service& service, const HttpRequest& request, std::string route, Respond respond);
  void send(HttpResponse response);
  void fail(const ApiError& error);
  const std::string& id() const { return id_; }
  const std::string& route() const { return route_; }
  const std::shared_ptr<const std::atomic<bool>>& client_gone() const { return client_gone_; }
  std::string detail;  // extra log text (review texts, with --log-texts)

 private:
  Service& service_;
  HttpRequest meta_;  // the request without its body, for the log line
  size_t body_size_ = 0;
  std::string route_;
  Respond respond_;
  std::string id_;
  std::shared_ptr<const std::atomic<bool>> client_gone_;
  std::atomic<bool> sent_{false};
};

}  // namespace verdict::server
