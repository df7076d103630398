// The Prometheus metrics of `verdict serve` (names verdict_*, like TEI's te_*).
#pragma once

#include <string>

#include "verdict/common/metrics.h"
#include "verdict/runtime/batcher.h"

namespace verdict::server {

class ServerMetrics final : public runtime::BatchObserver {
 public:
  // Registers the families in `registry`, which renders them (and must outlive this).
  explicit ServerMetrics(metrics::Registry& registry);

  void on_request(const std::string& route, const std::string& method, int status, double seconds);
  void on_failure(const std::string& reason);
  void on_timings(double tokenization_s, double queue_s, double inference_s, size_t input_tokens);
  void set_model_info(const std::string& model_id, const std::string& architecture, const std::string& dtype,
                      const std::string& version);
  void set_in_flight(size_t n);
  void on_discord(const std::string& outcome);  // "complaint", "review", "ping", "other"
  void on_webhook(const std::string& result);   // "delivered", "failed"

  // Result cache lookups of one request, and entries it evicted.
  void on_cache(size_t hits, size_t misses, size_t evictions);
  void set_cache_entries(size_t n);

  void on_batch(size_t sequences, size_t tokens, double inference_ms) override;
  void on_recheck(size_t sequences, double inference_ms) override;
  void on_queue_size(size_t sequences) override;

 private:
  metrics::Family<metrics::Counter>& requests_;
  metrics::Family<metrics::Counter>& failures_;
  metrics::Family<metrics::Histogram>& request_duration_;
  metrics::Histogram& tokenization_;
  metrics::Histogram& queue_;
  metrics::Histogram& inference_;
  metrics::Histogram& input_tokens_;
  metrics::Histogram& batch_size_;
  metrics::Histogram& batch_tokens_;
  metrics::Histogram& batch_duration_;
  metrics::Counter& rechecked_;
  metrics::Gauge& queue_size_;
  metrics::Gauge& in_flight_;
  metrics::Family<metrics::Gauge>& model_info_;
  metrics::Family<metrics::Counter>& discord_;
  metrics::Family<metrics::Counter>& webhooks_;
  metrics::Counter& cache_hits_;
  metrics::Counter& cache_misses_;
  metrics::Counter& cache_evictions_;
  metrics::Gauge& cache_entries_;
};

}  // namespace verdict::server
