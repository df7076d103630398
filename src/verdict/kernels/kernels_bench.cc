// Google Benchmark of the kernels at DistilBERT's shapes: what each int8/fp32 product reaches
// (GOP/s, against the CPU's ceiling) and what the row-wise epilogues around it cost.
//   build/release/src/verdict/kernels/verdict_kernels_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "verdict/kernels/attention.h"
#include "verdict/kernels/layer_norm.h"
#include "verdict/kernels/linear.h"
#include "verdict/kernels/random_data.h"
#include "verdict/kernels/vector_ops.h"

namespace verdict::kernels {
namespace {

// Args: rows, in_features, out_features, precision (0 fp32, 2 int8).
void BM_Linear(benchmark::State& state) {
  const auto rows = static_cast<size_t>(state.range(0)), K = static_cast<size_t>(state.range(1)),
             N = static_cast<size_t>(state.range(2));
  const auto precision = static_cast<Precision>(state.range(3));
  if (!precision_supported(precision).ok()) {
    state.SkipWithError("this CPU lacks the precision");
    return;
  }
  const auto w = random_vector(N * K, 1, 0.05f), b = random_vector(N, 2), x = random_vector(rows * K, 3);
  std::vector<float> y(rows * N);
  Linear lin(w.data(), b.data(), N, K, PostOp::kNone, false, precision);
  for (auto _ : state) {
    lin.forward(x.data(), rows, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GOP/s"] =
      benchmark::Counter(2.0 * rows * K * N * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
void LinearShapes(benchmark::internal::Benchmark* b) {
  // Precision: 0 fp32, 1 bf16 (AVX512-BF16/AMX CPUs only), 2 int8.
  for (int64_t p : {0, 1, 2}) {
    for (int64_t rows : {1, 32, 256, 2048}) {
      for (auto [K, N] : {std::pair<int64_t, int64_t>{768, 2304}, {768, 3072}, {3072, 768}}) b->Args({rows, K, N, p});
    }
  }
}
BENCHMARK(BM_Linear)->Apply(LinearShapes)->ArgNames({"rows", "K", "N", "precision"})->UseRealTime();

// Args: rows, precision, distinct. The 24 products of a 6-layer DistilBERT pass in a row. With
// distinct weights (1; 42 MB int8, 170 MB fp32: more than the L3) they stream from memory as in a
// real batch-1 pass; with one layer's four weights reused six times (0; 7 MB int8) they stay in
// cache. The difference is what streaming the weights costs a pass.
void BM_EncoderProducts(benchmark::State& state) {
  const auto rows = static_cast<size_t>(state.range(0));
  const auto precision = static_cast<Precision>(state.range(1));
  const bool distinct = state.range(2) != 0;
  if (!precision_supported(precision).ok()) {
    state.SkipWithError("this CPU lacks the precision");
    return;
  }
  const std::pair<size_t, size_t> shapes[] = {{768, 2304}, {768, 768}, {768, 3072}, {3072, 768}};
  std::vector<Linear> layers;
  double ops = 0;
  for (size_t layer = 0; layer < (distinct ? 6 : 1); ++layer) {
    for (auto [K, N] : shapes) {
      const auto w = random_vector(N * K, static_cast<unsigned>(layers.size() + 20), 0.05f);
      const auto b = random_vector(N, 2);
      layers.emplace_back(w.data(), b.data(), N, K, PostOp::kNone, false, precision);
      ops += 2.0 * static_cast<double>(rows * K * N);
    }
  }
  const size_t passes = distinct ? 1 : 6;
  const auto x = random_vector(rows * 3072, 3);
  std::vector<float> y(rows * 3072);
  for (auto _ : state) {
    for (size_t p = 0; p < passes; ++p) {
      for (const auto& lin : layers) lin.forward(x.data(), rows, y.data());
    }
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GOP/s"] = benchmark::Counter(ops * static_cast<double>(passes * state.iterations()) / 1e9,
                                               benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EncoderProducts)
    ->ArgsProduct({{1, 8, 32, 128}, {0, 1, 2}, {1, 0}})
    ->ArgNames({"rows", "precision", "distinct"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Args: cols, post-op. 256 rows, as the feed-forward chunks.
void BM_Dequantize(benchmark::State& state) {
  const size_t rows = 256, cols = static_cast<size_t>(state.range(0));
  const auto op = static_cast<PostOp>(state.range(1));
  std::vector<int32_t> acc(rows * cols), col_sum(cols), zero(rows, 60);
  std::mt19937 rng(4);
  for (auto& a : acc) a = static_cast<int32_t>(rng() % 200000) - 100000;
  for (auto& s : col_sum) s = static_cast<int32_t>(rng() % 2000) - 1000;
  const auto row_scale = random_vector(rows, 5, 0.01f), col_scale = random_vector(cols, 6, 0.01f),
             bias = random_vector(cols, 7);
  std::vector<float> y(rows * cols);
  const Dequantize how{row_scale.data(), zero.data(), col_scale.data(), col_sum.data(), bias.data(), op, true};
  for (auto _ : state) {
    dequantize_rows(acc.data(), rows, cols, how, y.data(), cols);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * rows * cols));
}
BENCHMARK(BM_Dequantize)
    ->Args({768, static_cast<int64_t>(PostOp::kNone)})
    ->Args({3072, static_cast<int64_t>(PostOp::kNone)})
    ->Args({3072, static_cast<int64_t>(PostOp::kGeluErf)})
    ->Args({3072, static_cast<int64_t>(PostOp::kGeluTanh)})
    ->ArgNames({"cols", "post_op"});

void BM_Quantize(benchmark::State& state) {
  const size_t rows = 256, cols = static_cast<size_t>(state.range(0));
  const auto x = random_vector(rows * cols, 8);
  std::vector<uint8_t> q(rows * cols);
  std::vector<float> scale(rows);
  std::vector<int32_t> zero(rows);
  for (auto _ : state) {
    quantize_rows_u8(x.data(), rows, cols, 127, q.data(), scale.data(), zero.data());
    benchmark::DoNotOptimize(q.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * rows * cols));
}
BENCHMARK(BM_Quantize)->Arg(768)->Arg(3072)->ArgName("cols");

void BM_LayerNorm(benchmark::State& state) {
  const size_t rows = static_cast<size_t>(state.range(0)), cols = 768;
  auto x = random_vector(rows * cols, 9);
  const auto gamma = random_vector(cols, 10), beta = random_vector(cols, 11);
  for (auto _ : state) {
    layer_norm(x.data(), gamma.data(), beta.data(), x.data(), rows, cols, 1e-12f);
    benchmark::DoNotOptimize(x.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * rows * cols));
}
BENCHMARK(BM_LayerNorm)->Arg(32)->Arg(2048)->ArgName("rows")->UseRealTime();

// One sequence of `tokens` tokens, DistilBERT's 12 heads of 64: the products' GFLOP/s.
void BM_Attention(benchmark::State& state) {
  const size_t H = 12, d = 64, D = H * d, L = static_cast<size_t>(state.range(0));
  const auto qkv = random_vector(L * 3 * D, 14);
  std::vector<float> ctx(L * D);
  const uint32_t cu[2] = {0, static_cast<uint32_t>(L)};
  Attention attn(H, d);
  for (auto _ : state) {
    attn.forward_packed(qkv.data(), cu, 1, ctx.data());
    benchmark::DoNotOptimize(ctx.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(static_cast<double>(state.iterations() * 4 * L * L * D) / 1e9,
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Attention)->Arg(16)->Arg(64)->Arg(128)->Arg(512)->ArgName("tokens")->UseRealTime();

// A batch of 32 sequences of 10..120 tokens, as the mixed-length throughput run.
void BM_AttentionPacked(benchmark::State& state) {
  const size_t H = 12, d = 64, D = H * d, batch = static_cast<size_t>(state.range(0));
  std::vector<uint32_t> cu{0};
  std::mt19937 rng(12);
  for (size_t b = 0; b < batch; ++b) cu.push_back(cu.back() + 10 + static_cast<uint32_t>(rng() % 111));
  const auto qkv = random_vector(cu.back() * 3 * D, 13);
  std::vector<float> ctx(cu.back() * D);
  Attention attn(H, d);
  for (auto _ : state) {
    attn.forward_packed(qkv.data(), cu.data(), batch, ctx.data());
    benchmark::DoNotOptimize(ctx.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
}
BENCHMARK(BM_AttentionPacked)->Arg(1)->Arg(32)->ArgName("sequences")->UseRealTime();

}  // namespace
}  // namespace verdict::kernels

BENCHMARK_MAIN();
