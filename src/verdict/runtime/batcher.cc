#include "verdict/runtime/batcher.h"

#include <algorithm>

#include "verdict/common/thread_name.h"
#include "verdict/kernels/cpu.h"
#include "verdict/model/postprocess.h"

namespace verdict::runtime {
namespace {

double ms_since(Batcher::Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Batcher::Clock::now() - t).count();
}

}  // namespace

struct Batcher::Request {
  std::vector<tokenizer::Encoding> encodings;
  Callback done;
  std::shared_ptr<const std::atomic<bool>> cancelled;
  Clock::time_point deadline;
  Clock::time_point enqueued;
  std::vector<std::vector<float>> logits;
  size_t remaining = 0;        // inputs not yet computed (compute thread only)
  bool failed = false;         // answered early (error); later entries are skipped
  double inference_ms = 0;     // summed over the batches it took part in, once per batch
  uint64_t last_batch = 0;   // the last forward pass it was counted in
  double queue_ms = -1;        // until the first of its batches starts
  size_t taken = 0;            // entries taken into a batch (under mu_)
};

Batcher::Batcher(model::SequenceClassifier& model, BatcherConfig config, BatchObserver* observer)
    : model_(model), config_(config), observer_(observer) {
  thread_ = std::thread([this] { run(); });
}

Batcher::~Batcher() {
  {
    std::lock_guard lock(mu_);
    accepting_ = false;
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Batcher::submit(std::vector<tokenizer::Encoding> encodings, Callback done,
                     std::shared_ptr<const std::atomic<bool>> cancelled, Clock::time_point deadline) {
  auto request = std::make_shared<Request>();
  request->encodings = std::move(encodings);
  request->done = std::move(done);
  request->cancelled = std::move(cancelled);
  request->deadline = deadline;
  request->enqueued = Clock::now();
  request->remaining = request->encodings.size();
  request->logits.resize(request->encodings.size());

  Error refusal;
  {
    std::lock_guard lock(mu_);
    if (!accepting_) {
      refusal = make_error(ErrorCode::kUnavailable, "the server is shutting down");
    } else if (in_flight_.load() >= config_.max_concurrent_requests) {
      refusal = make_error(ErrorCode::kOverloaded,
                           "model is overloaded: " + std::to_string(config_.max_concurrent_requests) +
                               " requests are in flight (--max-concurrent-requests)");
    } else {
      in_flight_.fetch_add(1);
      if (request->encodings.empty()) {
        // Nothing to compute: answer on the caller's thread.
      } else {
        for (size_t i = 0; i < request->encodings.size(); ++i) queue_.push_back({request, i});
        if (observer_) observer_->on_queue_size(queue_.size());
        cv_.notify_one();
        return;
      }
    }
  }
  if (refusal.message.empty()) {
    finish(request);
    return;
  }
  request->done(RequestOutcome{refusal, {}});
}

void Batcher::finish(const std::shared_ptr<Request>& r) {
  RequestTimings t;
  t.queue_ms = std::max(0.0, r->queue_ms);
  t.inference_ms = r->inference_ms;
  for (const auto& e : r->encodings) t.tokens += e.ids.size();
  answer(*r, RequestOutcome{std::move(r->logits), t});
}

void Batcher::answer(Request& r, RequestOutcome outcome) {
  {
    // The callback, and all it holds (the HTTP connection, say), is destroyed before the request
    // stops counting: once wait_idle() returns, the server may tear down what it points into.
    auto done = std::move(r.done);
    done(std::move(outcome));
  }
  {
    std::lock_guard lock(mu_);
    in_flight_.fetch_sub(1);
  }
  idle_cv_.notify_all();
}

void Batcher::shutdown() {
  std::lock_guard lock(mu_);
  accepting_ = false;
}

void Batcher::abandon_queued(const Error& error) {
  std::vector<std::shared_ptr<Request>> abandoned;
  {
    std::lock_guard lock(mu_);
    // Only requests the compute thread never took a part of: it touches no other, so they can
    // be answered from here. One split across batches stays queued (and completes, or not).
    std::deque<Entry> kept;
    for (auto& e : queue_) {
      Request& r = *e.request;
      if (r.taken > 0 || r.failed) {
        kept.push_back(std::move(e));
        continue;
      }
      if (abandoned.empty() || abandoned.back() != e.request) abandoned.push_back(e.request);
    }
    queue_ = std::move(kept);
    for (auto& r : abandoned) r->failed = true;
    if (observer_) observer_->on_queue_size(queue_.size());
  }
  for (auto& r : abandoned) answer(*r, RequestOutcome{error, {}});
}

bool Batcher::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [&] { return in_flight_.load() == 0; });
}

size_t Batcher::queued_sequences() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void Batcher::run() {
  name_this_thread("verdict-compute");
  kernels::adopt_compute_threads();  // --threads and the cgroup quota, not OpenMP's default
  model::Batch batch;
  std::vector<Entry> members;
  uint64_t batch_number = 0;
  for (;;) {
    members.clear();
    batch.clear();
    std::vector<std::pair<std::shared_ptr<Request>, Error>> dropped;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      const auto now = Clock::now();
      while (!queue_.empty()) {
        Entry& e = queue_.front();
        Request& r = *e.request;
        // Drop work nobody waits for any more, before it costs a forward pass.
        if (!r.failed && r.cancelled && r.cancelled->load()) {
          r.failed = true;
          dropped.emplace_back(e.request, make_error(ErrorCode::kCancelled, "the client went away"));
        } else if (!r.failed && now > r.deadline) {
          r.failed = true;
          dropped.emplace_back(e.request, make_error(ErrorCode::kDeadlineExceeded,
                                                     "the request waited past its deadline"));
        }
        if (r.failed) {
          queue_.pop_front();
          continue;
        }
        const size_t len = r.encodings[e.index].ids.size();
        const bool budget_full = !members.empty() && batch.num_tokens() + len > config_.max_batch_tokens;
        const bool count_full = config_.max_batch_requests && members.size() >= config_.max_batch_requests;
        if (budget_full || count_full) break;
        batch.add(r.encodings[e.index].ids, r.encodings[e.index].type_ids);
        ++r.taken;
        members.push_back(std::move(e));
        queue_.pop_front();
      }
      if (observer_) observer_->on_queue_size(queue_.size());
    }
    // Their other entries still queued are skipped (failed): each is answered once.
    for (auto& [request, error] : dropped) answer(*request, RequestOutcome{error, {}});
    if (members.empty()) continue;

    const auto start = Clock::now();
    for (auto& m : members) {
      if (m.request->queue_ms < 0) {
        m.request->queue_ms = std::chrono::duration<double, std::milli>(start - m.request->enqueued).count();
      }
    }
    // The fast pass answers its clear calls at once; close calls (with an fp32 recheck, see
    // ModelOptions::recheck_margin) are answered after the recheck, which they alone wait for.
    auto logits = model_.forward_once(batch);
    const double fast_ms = ms_since(start);
    std::vector<size_t> close;
    if (logits.ok()) close = model_.close_calls(*logits);
    std::vector<bool> is_close(members.size());
    for (size_t b : close) is_close[b] = true;
    if (observer_) observer_->on_batch(members.size(), batch.num_tokens(), fast_ms);
    ++batch_number;
    for (size_t b = 0; b < members.size(); ++b) {
      take_part(*members[b].request, fast_ms, batch_number);
      if (!is_close[b]) deliver(members[b], logits, b);
    }
    if (close.empty()) continue;
    const auto recheck_start = Clock::now();
    auto exact = model_.recheck(batch, close);
    const double recheck_ms = ms_since(recheck_start);
    if (observer_) observer_->on_recheck(close.size(), recheck_ms);
    ++batch_number;
    for (size_t i = 0; i < close.size(); ++i) {
      take_part(*members[close[i]].request, recheck_ms, batch_number);
      deliver(members[close[i]], exact, i);
    }
  }
}

void Batcher::take_part(Request& request, double ms, uint64_t pass) {
  if (request.failed || request.last_batch == pass) return;  // counted once per pass
  request.last_batch = pass;
  request.inference_ms += ms;
}

void Batcher::deliver(Entry& member, const Result<std::vector<float>>& logits, size_t row) {
  auto& request = member.request;
  if (request->failed) return;
  if (!logits.ok()) {
    request->failed = true;
    answer(*request, RequestOutcome{logits.error(), {}});
    return;
  }
  const size_t C = model_.config().num_labels();
  const std::span<const float> row_logits(logits->data() + row * C, C);
  if (auto finite = model::check_finite(row_logits); !finite.ok()) {
    request->failed = true;
    answer(*request, RequestOutcome{finite.error(), {}});
    return;
  }
  request->logits[member.index].assign(row_logits.begin(), row_logits.end());
  if (--request->remaining == 0) finish(request);
}

}  // namespace verdict::runtime
