#include "verdict/runtime/batcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <mutex>

#include "testing/testdata.h"
#include "verdict/kernels/cpu.h"
#include "verdict/runtime/pipeline.h"

namespace verdict::runtime {
namespace {

class BatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = Pipeline::load((testing::testdata_dir() / "models" / "bert-3label-tiny").string());
    ASSERT_TRUE(p.ok()) << p.error().message;
    pipeline_ = std::move(*p);
    const auto rows = testing::read_jsonl(testing::testdata_dir() / "models" / "bert-3label-tiny" / "expected.jsonl");
    for (const auto& row : rows) {
      TextInput in{row["text"].get<std::string>(), std::nullopt};
      if (row.contains("text_pair")) in.text_pair = row["text_pair"].get<std::string>();
      inputs_.push_back(in);
    }
    auto enc = pipeline_->encode(inputs_, true);
    ASSERT_TRUE(enc.ok());
    encodings_ = std::move(*enc);
    auto logits = pipeline_->logits(encodings_, 1);  // one sequence per forward pass
    ASSERT_TRUE(logits.ok());
    single_ = std::move(*logits);
  }
  std::unique_ptr<Pipeline> pipeline_;
  std::vector<TextInput> inputs_;
  std::vector<tokenizer::Encoding> encodings_;
  std::vector<std::vector<float>> single_;
};

TEST_F(BatcherTest, ConcurrentRequestsOfMixedLengthsGetTheirSingleRunLogits) {
  BatcherConfig config;
  config.max_batch_tokens = 300;  // several batches, each mixing requests
  Batcher batcher(pipeline_->model(), config);
  std::vector<std::promise<RequestOutcome>> promises(encodings_.size() / 2);
  for (size_t r = 0; r < promises.size(); ++r) {
    // Each request carries two inputs: batching must keep their order.
    batcher.submit({encodings_[2 * r], encodings_[2 * r + 1]},
                   [&promises, r](RequestOutcome o) { promises[r].set_value(std::move(o)); });
  }
  for (size_t r = 0; r < promises.size(); ++r) {
    auto outcome = promises[r].get_future().get();
    ASSERT_TRUE(outcome.logits.ok()) << outcome.logits.error().message;
    ASSERT_EQ(outcome.logits->size(), 2u);
    for (size_t k = 0; k < 2; ++k) {
      for (size_t c = 0; c < single_[2 * r + k].size(); ++c) {
        EXPECT_NEAR((*outcome.logits)[k][c], single_[2 * r + k][c], 1e-5);
      }
    }
    EXPECT_GT(outcome.timings.tokens, 0u);
  }
  EXPECT_TRUE(batcher.wait_idle(std::chrono::seconds(5)));
  EXPECT_EQ(batcher.in_flight(), 0u);
}

TEST_F(BatcherTest, RefusesBeyondMaxConcurrentRequestsAtOnce) {
  BatcherConfig config;
  config.max_concurrent_requests = 1;
  Batcher batcher(pipeline_->model(), config);
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::promise<RequestOutcome> first, second;
  // The first request's callback blocks the compute thread, so it stays in flight. It holds its
  // own copy of the gate: it may still be inside wait() when this body returns.
  batcher.submit({encodings_[0]}, [&first, gate](RequestOutcome o) { first.set_value(std::move(o)); gate.wait(); });
  batcher.submit({encodings_[1]}, [&](RequestOutcome o) { second.set_value(std::move(o)); });
  auto refused = second.get_future().get();
  ASSERT_FALSE(refused.logits.ok());
  EXPECT_EQ(refused.logits.error().code, ErrorCode::kOverloaded);
  release.set_value();
  EXPECT_TRUE(first.get_future().get().logits.ok());
}

TEST_F(BatcherTest, DropsRequestsWhoseClientLeftOrDeadlinePassedBeforeCompute) {
  Batcher batcher(pipeline_->model(), BatcherConfig{});
  auto gone = std::make_shared<std::atomic<bool>>(true);
  std::promise<RequestOutcome> a, b;
  batcher.submit({encodings_[0]}, [&](RequestOutcome o) { a.set_value(std::move(o)); }, gone);
  batcher.submit({encodings_[1]}, [&](RequestOutcome o) { b.set_value(std::move(o)); }, nullptr,
                 Batcher::Clock::now() - std::chrono::seconds(1));
  auto oa = a.get_future().get();
  auto ob = b.get_future().get();
  ASSERT_FALSE(oa.logits.ok());
  EXPECT_EQ(oa.logits.error().code, ErrorCode::kCancelled);
  ASSERT_FALSE(ob.logits.ok());
  EXPECT_EQ(ob.logits.error().code, ErrorCode::kDeadlineExceeded);
}

TEST_F(BatcherTest, FinishesQueuedWorkAfterShutdownButAdmitsNoMore) {
  Batcher batcher(pipeline_->model(), BatcherConfig{});
  std::promise<RequestOutcome> a, b;
  batcher.submit({encodings_[0], encodings_[1]}, [&](RequestOutcome o) { a.set_value(std::move(o)); });
  batcher.shutdown();
  batcher.submit({encodings_[2]}, [&](RequestOutcome o) { b.set_value(std::move(o)); });
  EXPECT_TRUE(a.get_future().get().logits.ok());
  auto refused = b.get_future().get();
  ASSERT_FALSE(refused.logits.ok());
  EXPECT_EQ(refused.logits.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(batcher.wait_idle(std::chrono::seconds(5)));
}

// The end of a drain: what is still queued is answered at once, while a batch computes.
TEST_F(BatcherTest, AbandonedQueuedRequestsAreAnsweredAtOnceWhileABatchComputes) {
  BatcherConfig config;
  config.max_batch_requests = 1;
  Batcher batcher(pipeline_->model(), config);
  std::promise<void> release, first_started;
  auto gate = release.get_future().share();
  std::promise<RequestOutcome> first, second, third;
  // The first answer's callback holds the compute thread, as a long forward pass would.
  batcher.submit({encodings_[0]}, [&, gate](RequestOutcome o) {
    first_started.set_value();
    first.set_value(std::move(o));
    gate.wait();
  });
  first_started.get_future().wait();
  batcher.submit({encodings_[1]}, [&](RequestOutcome o) { second.set_value(std::move(o)); });
  batcher.submit({encodings_[2], encodings_[3]}, [&](RequestOutcome o) { third.set_value(std::move(o)); });
  EXPECT_EQ(batcher.queued_sequences(), 3u);
  batcher.shutdown();
  batcher.abandon_queued(make_error(ErrorCode::kUnavailable, "shut down"));
  for (auto* p : {&second, &third}) {
    auto o = p->get_future().get();  // answered though the compute thread is still held
    ASSERT_FALSE(o.logits.ok());
    EXPECT_EQ(o.logits.error().code, ErrorCode::kUnavailable);
  }
  EXPECT_EQ(batcher.queued_sequences(), 0u);
  EXPECT_EQ(batcher.in_flight(), 1u);
  release.set_value();
  EXPECT_TRUE(first.get_future().get().logits.ok());
  EXPECT_TRUE(batcher.wait_idle(std::chrono::seconds(5)));
}

// What a callback holds (in the server: the HTTP connection, which points into the server) must
// be gone by the time wait_idle() says nothing is in flight, or the server's teardown races it.
TEST_F(BatcherTest, ACallbackIsDestroyedBeforeItsRequestStopsCounting) {
  Batcher batcher(pipeline_->model(), BatcherConfig{});
  struct Witness {
    Witness(Batcher* b, std::promise<size_t>* p) : batcher(b), in_flight_at_destruction(p) {}
    ~Witness() { in_flight_at_destruction->set_value(batcher->in_flight()); }
    Batcher* batcher;
    std::promise<size_t>* in_flight_at_destruction;
  };
  for (const bool expire : {false, true}) {
    std::promise<size_t> seen;
    const auto deadline =
        expire ? Batcher::Clock::now() - std::chrono::seconds(1) : Batcher::Clock::time_point::max();
    // The callback holds the only reference: the batcher may answer before submit() returns.
    batcher.submit({encodings_[0]}, [w = std::make_shared<Witness>(&batcher, &seen)](RequestOutcome) {}, nullptr,
                   deadline);
    EXPECT_EQ(seen.get_future().get(), 1u) << (expire ? "dropped past its deadline" : "computed");
    EXPECT_TRUE(batcher.wait_idle(std::chrono::seconds(5)));
  }
}

// The batcher's thread is where the model computes: it must use the process's pool size
// (kernels::set_compute_threads, from --threads or the cgroup quota), not OpenMP's default.
struct ThreadCount : BatchObserver {
  std::atomic<size_t> threads{0};
  void on_batch(size_t, size_t, double) override { threads = kernels::num_threads(); }
  void on_recheck(size_t, double) override {}
  void on_queue_size(size_t) override {}
};

TEST_F(BatcherTest, ComputesWithTheProcessWideThreadCount) {
  const size_t before = kernels::compute_threads();
  kernels::set_compute_threads(1);
  ThreadCount count;
  {
    Batcher batcher(pipeline_->model(), BatcherConfig{}, &count);
    std::promise<RequestOutcome> done;
    batcher.submit({encodings_[0]}, [&done](RequestOutcome o) { done.set_value(std::move(o)); });
    EXPECT_TRUE(done.get_future().get().logits.ok());
  }
  kernels::set_compute_threads(before);
  EXPECT_EQ(count.threads.load(), 1u);
}

// With an fp32 recheck (ModelOptions::recheck_margin), a batch's clear calls are answered as soon
// as the fast pass ends, before the recheck of its close calls, which get fp32's logits.
struct RecheckCount : BatchObserver {
  std::atomic<size_t> rechecked{0}, sequences{0};
  void on_batch(size_t n, size_t, double) override { sequences += n; }
  void on_recheck(size_t n, double) override { rechecked += n; }
  void on_queue_size(size_t) override {}
};

TEST_F(BatcherTest, AnswersClearCallsBeforeTheRecheckOfCloseOnes) {
  const auto dir = (testing::testdata_dir() / "models" / "bert-3label-tiny").string();
  model::ModelOptions int8;
  int8.precision = kernels::Precision::kInt8;
  auto plain = Pipeline::load(dir, int8);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  auto fast = (*plain)->logits(encodings_, 1 << 20);
  ASSERT_TRUE(fast.ok());
  std::vector<float> margins;
  for (auto row : *fast) {
    std::sort(row.begin(), row.end(), std::greater<>());
    margins.push_back(row[0] - row[1]);
  }
  // About half the inputs close: a margin midway in the widest gap between two of the middle
  // margins, so that the rounding of another batch composition cannot move an input across it.
  std::vector<float> sorted = margins;
  std::sort(sorted.begin(), sorted.end());
  size_t gap = sorted.size() / 4;
  for (size_t i = gap; i < sorted.size() * 3 / 4; ++i) {
    if (sorted[i + 1] - sorted[i] > sorted[gap + 1] - sorted[gap]) gap = i;
  }
  ASSERT_GT(sorted[gap + 1] - sorted[gap], 1e-3f);
  auto checked = int8;
  checked.recheck_margin = (sorted[gap] + sorted[gap + 1]) / 2;
  auto p = Pipeline::load(dir, checked);
  ASSERT_TRUE(p.ok()) << p.error().message;

  RecheckCount count;
  Batcher batcher((*p)->model(), BatcherConfig{}, &count);
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::promise<RequestOutcome> first;
  // Hold the compute thread (in the first request's callback) so that every request below lands
  // in one batch.
  batcher.submit({encodings_[0]}, [&first, gate](RequestOutcome o) { first.set_value(std::move(o)); gate.wait(); });
  auto held = first.get_future();
  held.wait();
  std::mutex mu;
  std::vector<size_t> order;
  std::vector<std::promise<RequestOutcome>> promises(encodings_.size());
  for (size_t r = 0; r < encodings_.size(); ++r) {
    batcher.submit({encodings_[r]}, [&, r](RequestOutcome o) {
      std::lock_guard lock(mu);
      order.push_back(r);
      promises[r].set_value(std::move(o));
    });
  }
  release.set_value();
  ASSERT_TRUE(held.get().logits.ok());
  size_t close = 0;
  for (size_t r = 0; r < encodings_.size(); ++r) {
    auto outcome = promises[r].get_future().get();
    ASSERT_TRUE(outcome.logits.ok()) << outcome.logits.error().message;
    const bool is_close = margins[r] < checked.recheck_margin;
    close += is_close;
    for (size_t c = 0; c < single_[r].size(); ++c) {
      // Close calls carry fp32's logits; the others int8's (from another batch: 1e-3).
      EXPECT_NEAR((*outcome.logits)[0][c], is_close ? single_[r][c] : (*fast)[r][c], is_close ? 1e-4 : 1e-3) << r;
    }
  }
  ASSERT_GT(close, 0u);
  ASSERT_LT(close, encodings_.size());
  ASSERT_EQ(order.size(), encodings_.size());
  for (size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(margins[order[i]] < checked.recheck_margin, i >= order.size() - close) << "answer " << i;
  }
  EXPECT_TRUE(batcher.wait_idle(std::chrono::seconds(5)));
  EXPECT_EQ(count.rechecked.load(), close + (margins[0] < checked.recheck_margin ? 1 : 0));
}

}  // namespace
}  // namespace verdict::runtime
