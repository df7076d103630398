// The request queue and the batcher (TEI's core/queue in C++): requests' sequences wait in one
// queue; a single compute thread takes as many as fit a token budget, greedily and without a
// timer, while the previous batch computes, runs one unpadded forward pass and hands every
// request its logits. Requests whose client left or whose deadline passed are dropped before
// compute.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/model/sequence_classifier.h"
#include "verdict/tokenizer/tokenizer.h"

namespace verdict::runtime {

struct BatcherConfig {
  size_t max_batch_tokens = 16384;      // tokens in one forward pass
  size_t max_batch_requests = 0;        // sequences in one forward pass (0: no limit)
  size_t max_concurrent_requests = 512; // admitted and not yet answered; beyond: kOverloaded
};

// What one request spent where (milliseconds), for metrics and TEI's timing headers.
struct RequestTimings {
  double queue_ms = 0;
  double inference_ms = 0;
  size_t tokens = 0;
};

struct RequestOutcome {
  Result<std::vector<std::vector<float>>> logits;  // one row per input, in input order
  RequestTimings timings;
};

// Observes batches, for metrics; called on the compute thread.
struct BatchObserver {
  virtual ~BatchObserver() = default;
  // Called before the answers they give are sent (so metrics read after an answer include it):
  // a forward pass, and the model's fp32 recheck of its close calls (ModelOptions::recheck_margin).
  virtual void on_batch(size_t sequences, size_t tokens, double inference_ms) = 0;
  virtual void on_recheck(size_t sequences, double inference_ms) = 0;
  virtual void on_queue_size(size_t sequences) = 0;
};

class Batcher {
 public:
  using Callback = std::function<void(RequestOutcome)>;
  using Clock = std::chrono::steady_clock;

  Batcher(model::SequenceClassifier& model, BatcherConfig config, BatchObserver* observer = nullptr);
  ~Batcher();  // drains the queue, then stops the compute thread
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues the encodings of one request. `done` runs exactly once, on the compute thread (or
  // on the caller's thread when refused). Refuses at once with kOverloaded when
  // max_concurrent_requests are in flight, kUnavailable after shutdown(). `cancelled` (may be
  // null) is checked before compute; `deadline` (may be max) likewise.
  void submit(std::vector<tokenizer::Encoding> encodings, Callback done,
              std::shared_ptr<const std::atomic<bool>> cancelled = nullptr,
              Clock::time_point deadline = Clock::time_point::max());

  // Stops admitting; queued work still completes. Returns at once.
  void shutdown();
  // Answers every queued request `error` now, without computing it (the end of a drain: its
  // clients get an answer instead of a closed connection). The batch computing is not stopped.
  void abandon_queued(const Error& error);
  // Waits until every admitted request was answered, or the timeout passed. True if drained.
  bool wait_idle(std::chrono::milliseconds timeout);

  size_t in_flight() const { return in_flight_.load(); }
  size_t queued_sequences() const;
  const BatcherConfig& config() const { return config_; }

 private:
  struct Request;
  struct Entry {
    std::shared_ptr<Request> request;
    size_t index;  // input index within the request
  };
  void run();
  void finish(const std::shared_ptr<Request>& request);
  void answer(Request& request, RequestOutcome outcome);  // calls done, releases the slot
  // Adds a forward pass's time to a request that took part in it (once per pass).
  void take_part(Request& request, double ms, uint64_t pass);
  // Row `row` of `logits` answers `member` (a failed pass fails its request).
  void deliver(Entry& member, const Result<std::vector<float>>& logits, size_t row);

  model::SequenceClassifier& model_;
  const BatcherConfig config_;
  BatchObserver* observer_;
  mutable std::mutex mu_;
  std::condition_variable cv_;       // work arrived / stopping
  std::condition_variable idle_cv_;  // a request finished
  std::deque<Entry> queue_;
  bool stopping_ = false;
  bool accepting_ = true;
  std::atomic<size_t> in_flight_{0};
  std::thread thread_;
};

}  // namespace verdict::runtime
