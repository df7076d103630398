#include "verdict/server/server_metrics.h"

namespace verdict::server {
namespace {
const std::vector<double> kSeconds = metrics::exponential_buckets(0.0005, 2, 16);  // 0.5 ms .. 16 s
}  // namespace

ServerMetrics::ServerMetrics(metrics::Registry& r)
    : requests_(r.counter("verdict_requests_total", "HTTP requests by route, method and status",
                          {"route", "method", "status"})),
      failures_(r.counter("verdict_request_failures_total", "Failed requests by reason", {"reason"})),
      request_duration_(r.histogram("verdict_request_duration_seconds", "Whole request time by route", kSeconds,
                                    {"route"})),
      tokenization_(r.histogram("verdict_tokenization_duration_seconds", "Tokenization time per request", kSeconds)
                        .with({})),
      queue_(r.histogram("verdict_queue_duration_seconds", "Time a request waited for the model", kSeconds).with({})),
      inference_(r.histogram("verdict_inference_duration_seconds", "Forward-pass time per request", kSeconds).with({})),
      input_tokens_(r.histogram("verdict_input_tokens", "Tokens per input",
                                metrics::exponential_buckets(4, 2, 9)).with({})),
      batch_size_(r.histogram("verdict_batch_size", "Sequences per forward pass",
                              metrics::exponential_buckets(1, 2, 11)).with({})),
      batch_tokens_(r.histogram("verdict_batch_tokens", "Tokens per forward pass",
                                metrics::exponential_buckets(8, 2, 14)).with({})),
      batch_duration_(r.histogram("verdict_batch_duration_seconds", "Forward-pass time per batch", kSeconds).with({})),
      rechecked_(r.counter("verdict_rechecked_inputs_total",
                           "Inputs a fast precision found too close to call, answered by the fp32 recheck").with({})),
      queue_size_(r.gauge("verdict_queue_size", "Sequences waiting for the model").with({})),
      in_flight_(r.gauge("verdict_requests_in_flight", "Admitted inference requests not yet answered").with({})),
      model_info_(r.gauge("verdict_model_info", "The served model (value 1)",
                          {"model_id", "architecture", "dtype", "version"})),
      discord_(r.counter("verdict_discord_interactions_total", "Discord interactions by outcome", {"outcome"})),
      webhooks_(r.counter("verdict_webhook_deliveries_total", "Alert and integration webhooks by result", {"result"})),
      cache_hits_(r.counter("verdict_cache_hits_total", "Inputs answered from the result cache").with({})),
      cache_misses_(r.counter("verdict_cache_misses_total", "Cacheable inputs computed by the model").with({})),
      cache_evictions_(r.counter("verdict_cache_evictions_total", "Result cache entries evicted (LRU)").with({})),
      cache_entries_(r.gauge("verdict_cache_entries", "Entries in the result cache").with({})) {}

void ServerMetrics::on_cache(size_t hits, size_t misses, size_t evictions) {
  if (hits) cache_hits_.inc(static_cast<double>(hits));
  if (misses) cache_misses_.inc(static_cast<double>(misses));
  if (evictions) cache_evictions_.inc(static_cast<double>(evictions));
}

void ServerMetrics::set_cache_entries(size_t n) { cache_entries_.set(static_cast<double>(n)); }

void ServerMetrics::on_webhook(const std::string& result) { webhooks_.with({result}).inc(); }

void ServerMetrics::on_discord(const std::string& outcome) { discord_.with({outcome}).inc(); }

namespace {
// The method is the client's token: any string would be a new series, kept forever (5,000
// invented methods made /metrics 20 MB). The label keeps HTTP's methods and calls the rest other.
const std::string& method_label(const std::string& method) {
  static const std::string kKnown[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"};
  static const std::string kOther = "other";
  for (const auto& m : kKnown) {
    if (m == method) return m;
  }
  return kOther;
}
}  // namespace

void ServerMetrics::on_request(const std::string& route, const std::string& method, int status, double seconds) {
  requests_.with({route, method_label(method), std::to_string(status)}).inc();
  request_duration_.with({route}).observe(seconds);
}

void ServerMetrics::on_failure(const std::string& reason) { failures_.with({reason}).inc(); }

void ServerMetrics::on_timings(double tokenization_s, double queue_s, double inference_s, size_t input_tokens) {
  tokenization_.observe(tokenization_s);
  queue_.observe(queue_s);
  inference_.observe(inference_s);
  input_tokens_.observe(static_cast<double>(input_tokens));
}

void ServerMetrics::set_model_info(const std::string& model_id, const std::string& architecture,
                                   const std::string& dtype, const std::string& version) {
  model_info_.with({model_id, architecture, dtype, version}).set(1);
}

void ServerMetrics::set_in_flight(size_t n) { in_flight_.set(static_cast<double>(n)); }

void ServerMetrics::on_recheck(size_t sequences, double) { rechecked_.inc(static_cast<double>(sequences)); }

void ServerMetrics::on_batch(size_t sequences, size_t tokens, double inference_ms) {
  batch_size_.observe(static_cast<double>(sequences));
  batch_tokens_.observe(static_cast<double>(tokens));
  batch_duration_.observe(inference_ms / 1000.0);
}

void ServerMetrics::on_queue_size(size_t sequences) { queue_size_.set(static_cast<double>(sequences)); }

}  // namespace verdict::server
