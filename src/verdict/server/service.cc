#include "verdict/server/service.h"

#include <nlohmann/json.hpp>

#include <random>

#include "verdict/kernels/cpu.h"
#include "verdict/server/cors.h"
#include "verdict/version.h"

namespace verdict::server {

using nlohmann::ordered_json;

struct Service::Route {
  const char* method;
  const char* path;  // "{name}" matches one path segment
  const char* name;  // the metrics label
  RouteHandler handler;
  bool is_public;    // no API key needed
};

namespace {

// TEI's names for the compute dtype ("float32", "bfloat16"); int8 has no TEI name.
std::string dtype_name(kernels::Precision p) {
  switch (p) {
    case kernels::Precision::kF32: return "float32";
    case kernels::Precision::kBF16: return "bfloat16";
    case kernels::Precision::kInt8: return "int8";
  }
  return "float32";
}

std::string new_request_id() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

bool path_matches(std::string_view pattern, std::string_view path) {
  while (!pattern.empty() || !path.empty()) {
    const auto p_seg = pattern.substr(0, pattern.find('/', 1));
    const auto s_seg = path.substr(0, path.find('/', 1));
    if (p_seg.empty() || s_seg.empty()) return p_seg.empty() && s_seg.empty();
    const bool wildcard = p_seg.starts_with("/{");  // "/{name}", "/{version}": any one segment
    if (!wildcard && p_seg != s_seg) return false;
    if (wildcard && s_seg.size() < 2) return false;
    pattern.remove_prefix(p_seg.size());
    path.remove_prefix(s_seg.size());
  }
  return true;
}

HttpResponse json_response(const ordered_json& j, int status = 200) {
  HttpResponse r;
  r.status = status;
  r.body = j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  return r;
}

}  // namespace

Service::Reply::Reply(Service& service, const HttpRequest& request, std::string route, Respond respond)
    : service_(service), route_(std::move(route)), respond_(std::move(respond)) {
  meta_.method = request.method;
  meta_.path = request.path;
  meta_.headers = request.headers;
  meta_.remote_ip = request.remote_ip;
  meta_.received = request.received;
  body_size_ = request.body.size();
  client_gone_ = request.client_gone;
  id_ = request.header("x-request-id").value_or("");
  if (id_.empty() || id_.size() > 128) id_ = new_request_id();
}

void Service::Reply::send(HttpResponse r) {
  if (sent_.exchange(true)) return;
  r.headers.emplace_back("x-request-id", id_);
  service_.add_cors(meta_, r);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - meta_.received).count();
  service_.metrics_.on_request(route_, meta_.method, r.status, seconds);
  // A platform probes every few seconds: ~26,000 lines a day per instance that say nothing.
  // A failing probe is still logged.
  const bool quiet_probe = r.status < 400 && !service_.config_.log_probes &&
                           (route_ == "health" || route_ == "v2_live" || route_ == "v2_ready");
  if (!quiet_probe) {
    meta_.body.assign(body_size_, ' ');  // the log reports the size, never the content
    service_.logger_.request(meta_, r.status, seconds, id_, detail);
  }
  respond_(std::move(r));
}

void Service::Reply::fail(const ApiError& e) {
  service_.metrics_.on_failure(e.type);
  send(error_response(e));
}

void Service::add_cors(const HttpRequest& request, HttpResponse& r) const {
  if (config_.cors_allow_origin.empty()) return;
  const auto origin = request.header("origin");
  if (config_.cors_allow_origin == "*") {
    r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  } else {
    // A list of allowed origins: echo the one that matches. The answer depends on Origin whether
    // or not it matched, so caches must key on it either way.
    r.headers.emplace_back("Vary", "Origin");
    if (!origin) return;
    for (const auto& allowed : split_origins(config_.cors_allow_origin)) {
      if (allowed == *origin) {
        r.headers.emplace_back("Access-Control-Allow-Origin", *origin);
        break;
      }
    }
  }
}

Service::Service(ServerConfig config, std::unique_ptr<runtime::Pipeline> pipeline, metrics::Registry& registry,
                 Logger& logger)
    : config_(std::move(config)),
      pipeline_(std::move(pipeline)),
      logger_(logger),
      metrics_(registry),
      registry_(registry),
      keys_(config_.api_keys),
      routes_({
          {"GET", "/", "root", &Service::get_root, true},
          {"POST", "/", "hf_inference", &Service::post_hf, false},
          {"POST", "/predict", "predict", &Service::post_predict, false},
          {"POST", "/invocations", "predict", &Service::post_predict, false},
          {"POST", "/tokenize", "tokenize", &Service::post_tokenize, false},
          {"POST", "/rerank", "rerank", &Service::post_rerank, false},
          {"GET", "/info", "info", &Service::get_info, false},
          {"GET", "/health", "health", &Service::get_health, true},
          {"GET", "/ping", "health", &Service::get_health, true},
          {"GET", "/metrics", "metrics", &Service::get_metrics, true},
          {"GET", "/openapi.json", "openapi", &Service::get_openapi, true},
          {"GET", "/v2", "v2", &Service::get_v2, false},
          {"GET", "/v2/health/live", "v2_live", &Service::get_v2_live, true},
          {"GET", "/v2/health/ready", "v2_ready", &Service::get_v2_ready, true},
          {"GET", "/v2/models/{name}", "v2_model", &Service::get_v2_model, false},
          {"GET", "/v2/models/{name}/ready", "v2_model_ready", &Service::get_v2_model_ready, false},
          {"POST", "/v2/models/{name}/infer", "v2_infer", &Service::post_v2_infer, false},
          // The protocol's optional version segment; this server has one version, "1".
          {"GET", "/v2/models/{name}/versions/{version}", "v2_model", &Service::get_v2_model, false},
          {"GET", "/v2/models/{name}/versions/{version}/ready", "v2_model_ready", &Service::get_v2_model_ready, false},
          {"POST", "/v2/models/{name}/versions/{version}/infer", "v2_infer", &Service::post_v2_infer, false},
          {"POST", "/explain", "explain", &Service::post_explain, false},
          // The page and its assets hold no data: the key is typed into the page.
          {"GET", "/ui", "ui", &Service::get_ui, true},
          {"GET", "/ui/app.js", "ui", &Service::get_ui, true},
          {"GET", "/ui/app.css", "ui", &Service::get_ui, true},
          {"GET", "/ui/history", "ui_history", &Service::get_ui_history, false},
      }),
      cache_(config_.cache_size),
      ui_history_(config_.ui_history),
      batcher_(pipeline_->model(), config_.batcher, &metrics_) {
  if (!config_.discord.alert_webhook.empty() || !config_.discord.json_webhook.empty()) {
    webhooks_ = std::make_unique<WebhookSender>(WebhookPolicy{}, [this](bool delivered, const std::string& what) {
      metrics_.on_webhook(delivered ? "delivered" : "failed");
      if (delivered) logger_.info("webhook " + what);
      else logger_.warning("webhook " + what);
    });
  }
  if (!config_.discord.public_key_hex.empty()) {
    // Public: Discord cannot send an API key; every request is checked by its signature instead.
    routes_.push_back({"POST", "/discord/interactions", "discord", &Service::post_discord, true});
  }
  const auto& c = pipeline_->config();
  metrics_.set_model_info(config_.model_id, std::string(model::architecture_name(c.architecture)), dtype_name(pipeline_->precision()),
                          kVersion);
}

Service::~Service() = default;

Status Service::warm_up() {
  const std::vector<runtime::TextInput> text{{"Verdict warm-up.", std::nullopt}};
  auto logits = pipeline_->classify(text, {});
  if (!logits.ok()) return logits.error();
  // The fp32 recheck runs only for close calls: warm it too, or the first one pays for it.
  if (auto* reference = pipeline_->model().reference()) {
    auto encodings = pipeline_->encode(text, /*truncate=*/true);
    if (!encodings.ok()) return encodings.error();
    model::Batch batch;
    batch.add(encodings->front().ids, encodings->front().type_ids);
    if (auto exact = reference->forward_once(batch); !exact.ok()) return exact.error();
  }
  return {};
}

bool Service::answers_inline(const HttpRequest& r) {
  if (r.method != "GET" && r.method != "HEAD") return false;
  return r.path == "/health" || r.path == "/ping" || r.path == "/metrics" || r.path == "/v2/health/live" ||
         r.path == "/v2/health/ready";
}

HttpResponse Service::refusal(const HttpRequest& known, int status, const std::string& message) {
  // 400, 413, 414, 431: the client's request; 503: the server's limits (connections, buffered
  // bodies); 500: a handler's exception.
  const ApiError e{status, status == 503 ? "overloaded" : status >= 500 ? "backend" : "validation", message};
  metrics_.on_failure(e.type);
  metrics_.on_request("refused", known.method, status, 0);
  std::string id = known.header("x-request-id").value_or("");
  if (id.empty() || id.size() > 128) id = new_request_id();
  logger_.request(known, status, 0, id, message);
  HttpResponse r = error_response(e);
  r.headers.emplace_back("x-request-id", id);
  return r;
}

void Service::start_draining() {
  draining_.store(true);
  batcher_.shutdown();
}

bool Service::authorized(const HttpRequest& r) const {
  if (!keys_.enabled()) return true;
  if (auto auth = r.header("authorization")) {
    constexpr std::string_view kBearer = "bearer ";
    if (auth->size() > kBearer.size()) {
      std::string scheme = auth->substr(0, kBearer.size());
      for (char& ch : scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (scheme == kBearer && keys_.accepts(std::string_view(*auth).substr(kBearer.size()))) return true;
    }
  }
  if (config_.query_api_key) {
    if (auto key = r.query_param("api_key"); key && keys_.accepts(*key)) return true;
  }
  return false;
}

const Service::Route* Service::match(const HttpRequest& r, const Route** path_route, std::string* allow) const {
  std::string path = r.path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();  // "/predict/" == "/predict"
  *path_route = nullptr;
  const Route* found = nullptr;
  for (const auto& route : routes_) {
    if (!path_matches(route.path, path)) continue;
    if (!*path_route) *path_route = &route;
    if (!allow->empty()) *allow += ", ";
    *allow += route.method;
    if (r.method == route.method || (r.method == "HEAD" && std::string_view(route.method) == "GET")) {
      if (!found) found = &route;
    }
  }
  return found;
}

void Service::handle(HttpRequest request, Respond respond) {
  const Route* path_route = nullptr;  // a route of this path, whatever its method
  std::string allow;
  const Route* route = match(request, &path_route, &allow);
  const bool path_known = path_route != nullptr;
  // A wrong method on a known path counts under that path's route (a 405), not "unknown".
  auto reply = std::make_shared<Reply>(*this, request, route ? route->name : path_known ? path_route->name : "unknown",
                                       std::move(respond));
  if (request.method == "OPTIONS" && path_known) {
    HttpResponse r;
    r.status = 204;
    r.content_type = "text/plain";
    r.headers = {{"Allow", allow + ", OPTIONS"},
                 {"Access-Control-Allow-Methods", allow + ", OPTIONS"},
                 {"Access-Control-Allow-Headers", "Content-Type, Authorization, X-Request-Id"},
                 {"Access-Control-Max-Age", "600"}};
    return reply->send(std::move(r));
  }
  if (!route) {
    if (!path_known) return reply->fail(ApiError::not_found("no route " + request.method + " " + request.path));
    auto e = error_response(ApiError{405, "validation", "method " + request.method + " is not allowed on " +
                                                            request.path + "; allowed: " + allow});
    e.headers.emplace_back("Allow", allow);
    return reply->send(std::move(e));
  }
  // GET / is public (a platform health probe) unless it carries a review to classify or a key:
  // a wrong key answers 401 before a missing review answers 400 (only the probe needs no key).
  const bool needs_key = !route->is_public || (route->handler == &Service::get_root &&
                                               (request.query_param("review") || request.query_param("api_key")));
  if (needs_key && !authorized(request)) {
    return reply->fail(ApiError::unauthorized("missing or invalid API key: send Authorization: Bearer <key>"));
  }
  (this->*(route->handler))(request, reply);
}

void Service::get_health(const HttpRequest&, const std::shared_ptr<Reply>& reply) {
  if (draining_.load()) return reply->fail({503, "unhealthy", "shutting down"});
  HttpResponse r;
  r.body = "{\"status\":\"ok\"}";
  reply->send(std::move(r));
}

void Service::get_metrics(const HttpRequest&, const std::shared_ptr<Reply>& reply) {
  metrics_.set_in_flight(batcher_.in_flight());
  metrics_.set_cache_entries(cache_.stats().entries);
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = registry_.render();
  reply->send(std::move(r));
}

void Service::get_openapi(const HttpRequest&, const std::shared_ptr<Reply>& reply) {
  HttpResponse r;
  r.body = std::string(openapi_document());
  reply->send(std::move(r));
}

void Service::get_info(const HttpRequest&, const std::shared_ptr<Reply>& reply) {
  const auto& c = pipeline_->config();
  ordered_json id2label = ordered_json::object(), label2id = ordered_json::object();
  for (size_t i = 0; i < c.labels.size(); ++i) {
    id2label[std::to_string(i)] = c.labels[i];
    label2id[c.labels[i]] = i;
  }
  reply->send(json_response({
      {"model_id", config_.model_id},
      {"model_sha", nullptr},
      {"model_dtype", dtype_name(pipeline_->precision())},
      {"recheck_margin", pipeline_->model().recheck_margin()},
      // TEI calls a one-label classifier a re-ranker (its /rerank route).
      {"model_type", {{c.num_labels() == 1 ? "reranker" : "classifier", {{"id2label", id2label}, {"label2id", label2id}}}}},
      {"max_concurrent_requests", config_.batcher.max_concurrent_requests},
      {"max_input_length", pipeline_->max_input_length()},
      {"max_batch_tokens", config_.batcher.max_batch_tokens},
      {"max_batch_requests", config_.batcher.max_batch_requests ? ordered_json(config_.batcher.max_batch_requests)
                                                                : ordered_json(nullptr)},
      {"max_client_batch_size", config_.max_client_batch_size},
      {"auto_truncate", config_.auto_truncate},
      {"tokenization_workers", config_.http.worker_threads},
      {"version", kVersion},
      {"sha", nullptr},
      {"docker_label", nullptr},
      {"served_model_name", config_.served_model_name},
      {"architecture", model::architecture_name(c.architecture)},
      {"labels", c.labels},
      {"isa", kernels::effective_isa()},
      {"compute_threads", kernels::compute_threads()},
      {"openmp_wait", kernels::openmp_wait_policy()},
  }));
}

void Service::get_v2(const HttpRequest&, const std::shared_ptr<Reply>& reply) {
  reply->send(json_response({{"name", "verdict"}, {"version", kVersion}, {"extensions", ordered_json::array()}}));
}

void Service::get_v2_live(const HttpRequest&, const std::shared_ptr<Reply>& reply) {
  reply->send(json_response({{"live", true}}));
}

void Service::get_v2_ready(const HttpRequest&, const std::shared_ptr<Reply>& reply) {
  const bool ready = !draining_.load();
  reply->send(json_response({{"ready", ready}}, ready ? 200 : 503));
}

bool Service::known_model(const HttpRequest& r, const std::shared_ptr<Reply>& reply) const {
  // /v2/models/{name}[/versions/{version}]/...
  std::string_view rest = std::string_view(r.path).substr(std::string_view("/v2/models/").size());
  const std::string name(rest.substr(0, rest.find('/')));
  if (name != config_.served_model_name) {
    reply->fail(ApiError::not_found("model '" + name + "' is not served here; this server serves '" +
                                    config_.served_model_name + "'"));
    return false;
  }
  rest.remove_prefix(name.size());
  constexpr std::string_view kVersions = "/versions/";
  if (!rest.starts_with(kVersions)) return true;
  rest.remove_prefix(kVersions.size());
  const std::string version(rest.substr(0, rest.find('/')));
  if (version == kModelVersion) return true;
  reply->fail(ApiError::not_found("model '" + name + "' has no version '" + version + "'; its only version is '" +
                                  std::string(kModelVersion) + "'"));
  return false;
}

void Service::get_v2_model(const HttpRequest& r, const std::shared_ptr<Reply>& reply) {
  if (!known_model(r, reply)) return;
  reply->send(json_response({
      {"name", config_.served_model_name},
      {"versions", ordered_json::array({kModelVersion})},
      {"platform", "verdict"},
      {"inputs", ordered_json::array({{{"name", "text"}, {"datatype", "BYTES"}, {"shape", {-1}}}})},
      {"outputs", ordered_json::array({{{"name", "label"}, {"datatype", "BYTES"}, {"shape", {-1}}},
                                       {{"name", "score"}, {"datatype", "FP32"}, {"shape", {-1}}}})},
  }));
}

void Service::get_v2_model_ready(const HttpRequest& r, const std::shared_ptr<Reply>& reply) {
  if (!known_model(r, reply)) return;
  const bool ready = !draining_.load();
  reply->send(json_response({{"name", config_.served_model_name}, {"ready", ready}}, ready ? 200 : 503));
}

}  // namespace verdict::server
