// Every kernel against a plain scalar reference, with odd sizes so vector tails are exercised.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "verdict/kernels/attention.h"
#include "verdict/kernels/cpu.h"
#include "verdict/kernels/layer_norm.h"
#include "verdict/kernels/linear.h"
#include "verdict/kernels/random_data.h"
#include "verdict/kernels/row_tasks.h"
#include "verdict/kernels/softmax.h"
#include "verdict/kernels/vector_ops.h"

namespace verdict::kernels {
namespace {

double apply(PostOp op, double v) {
  switch (op) {
    case PostOp::kNone: return v;
    case PostOp::kGeluErf: return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
    case PostOp::kGeluTanh:
      return 0.5 * v * (1 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
    case PostOp::kRelu: return v > 0 ? v : 0;
    case PostOp::kTanh: return std::tanh(v);
  }
  return v;
}

class LinearTest : public ::testing::TestWithParam<std::tuple<PostOp, bool>> {};

TEST_P(LinearTest, MatchesScalarReferenceOnOddShapes) {
  const auto [op, accumulate] = GetParam();
  for (const auto& [m, n, k] : {std::tuple{1, 3, 5}, {7, 33, 65}, {17, 130, 47}}) {
    auto w = random_vector(n * k, 1, 0.3f), b = random_vector(n, 2), x = random_vector(m * k, 3);
    auto y = random_vector(m * n, 4);
    const auto y0 = y;
    Linear lin(w.data(), b.data(), n, k, op, accumulate);
    lin.forward(x.data(), m, y.data());
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < n; ++j) {
        double acc = b[j];
        for (int t = 0; t < k; ++t) acc += double(x[i * k + t]) * w[j * k + t];
        double expect = apply(op, acc) + (accumulate ? y0[i * n + j] : 0.0);
        ASSERT_NEAR(y[i * n + j], expect, 1e-4) << "m=" << m << " n=" << n << " k=" << k;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllPostOps, LinearTest,
                         ::testing::Combine(::testing::Values(PostOp::kNone, PostOp::kGeluErf,
                                                              PostOp::kGeluTanh, PostOp::kRelu,
                                                              PostOp::kTanh),
                                            ::testing::Bool()));

// Row counts that take every kind of call of the 1x1-convolution route (one of up to 64 rows,
// several, a 256-row call plus the rest), with the output a column slice of a wider matrix.
TEST_P(LinearTest, MatchesScalarReferenceAcrossCallsAndInAColumnSlice) {
  const auto [op, accumulate] = GetParam();
  for (const auto& [m, n, k] : {std::tuple{64, 24, 40}, {150, 40, 70}, {333, 16, 24}}) {
    auto w = random_vector(n * k, 41, 0.3f), b = random_vector(n, 42), x = random_vector(m * k, 43);
    const size_t stride = n + 3;
    auto y = random_vector(m * stride, 44);
    const auto y0 = y;
    Linear lin(w.data(), b.data(), n, k, op, accumulate);
    // The combinations the models use take the route where it exists; others (a post-op before
    // the residual sum) may stay on the matmul.
    if (!Linear::copies_weights(Precision::kF32)) {
      EXPECT_EQ(lin.owned_weight_bytes(), 0u);
    } else if (op == PostOp::kNone || !accumulate) {
      EXPECT_GT(lin.owned_weight_bytes(), 0u);
    }
    lin.forward(x.data(), m, y.data(), stride);
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < n; ++j) {
        double acc = b[j];
        for (int t = 0; t < k; ++t) acc += double(x[i * k + t]) * w[j * k + t];
        const double expect = apply(op, acc) + (accumulate ? y0[i * stride + j] : 0.0);
        ASSERT_NEAR(y[i * stride + j], expect, 1e-4) << "m=" << m << " row " << i << " col " << j;
      }
      for (size_t j = n; j < stride; ++j) ASSERT_EQ(y[i * stride + j], y0[i * stride + j]) << "row " << i;
    }
  }
}

// What a model serves on while its packed layers are made: the caller's weights, never a copy,
// and the same products as the packed layer.
TEST(LinearTest, InPlaceWeightsAreNeverCopiedAndGiveThePackedLayersProducts) {
  const int m = 37, n = 48, k = 64;
  auto w = random_vector(n * k, 51, 0.3f), b = random_vector(n, 52), x = random_vector(m * k, 53);
  Linear in_place(w.data(), b.data(), n, k, PostOp::kGeluErf, false, Precision::kF32, WeightUse::kInPlace);
  Linear best(w.data(), b.data(), n, k, PostOp::kGeluErf, false, Precision::kF32);
  EXPECT_EQ(in_place.owned_weight_bytes(), 0u);
  std::vector<float> y1(m * n), y2(m * n);
  in_place.forward(x.data(), m, y1.data());
  best.forward(x.data(), m, y2.data());
  for (size_t i = 0; i < y1.size(); ++i) ASSERT_NEAR(y1[i], y2[i], 1e-5) << i;
}

TEST(LinearTest, WorksWithoutBiasAndWithZeroRows) {
  auto w = random_vector(6, 5), x = random_vector(3, 6);
  std::vector<float> y(2, 42.f);
  Linear lin(w.data(), nullptr, 2, 3);
  lin.forward(x.data(), 0, y.data());
  EXPECT_EQ(y[0], 42.f);
  lin.forward(x.data(), 1, y.data());
  EXPECT_NEAR(y[1], x[0] * w[3] + x[1] * w[4] + x[2] * w[5], 1e-5);
}

TEST(LinearTest, WritesIntoAColumnSliceOfAWiderOutput) {
  auto w = random_vector(4 * 3, 10), x = random_vector(2 * 3, 11);
  std::vector<float> y(2 * 10, 7.f);
  Linear lin(w.data(), nullptr, 4, 3);
  lin.forward(x.data(), 2, y.data() + 5, 10);
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 10; ++j) {
      if (j < 5 || j >= 9) {
        EXPECT_EQ(y[i * 10 + j], 7.f);
      } else {
        double acc = 0;
        for (int t = 0; t < 3; ++t) acc += x[i * 3 + t] * w[(j - 5) * 3 + t];
        EXPECT_NEAR(y[i * 10 + j], acc, 1e-5);
      }
    }
  }
}

// Reduced precisions against the exact f32 product: the error must stay within what the
// precision allows (a few % of the output's spread), for every post-op, residual and stride.
class LowPrecisionLinearTest : public ::testing::TestWithParam<std::tuple<Precision, PostOp, bool>> {};

TEST_P(LowPrecisionLinearTest, StaysCloseToTheExactProduct) {
  const auto [precision, op, accumulate] = GetParam();
  if (auto st = precision_supported(precision); !st.ok()) GTEST_SKIP() << st.error().message;
  // 150 rows: more than one 64-row call of the int8 convolution path, and a remainder; 333: a
  // 256-row call, 64-row ones and a remainder, all with the weights packed once.
  for (const auto& [m, n, k] : {std::tuple{1, 3, 5}, {7, 33, 65}, {17, 130, 300}, {150, 40, 70}, {333, 24, 40}}) {
    auto w = random_vector(n * k, 21, 0.3f), b = random_vector(n, 22), x = random_vector(m * k, 23);
    const size_t stride = n + 2;
    auto y = random_vector(m * stride, 24);
    const auto y0 = y;
    Linear lin(w.data(), b.data(), n, k, op, accumulate, precision);
    EXPECT_EQ(lin.precision(), precision);
    EXPECT_GT(lin.owned_weight_bytes(), 0u);
    lin.forward(x.data(), m, y.data(), stride);
    double max_err = 0, spread = 0;
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < n; ++j) {
        double acc = b[j];
        for (int t = 0; t < k; ++t) acc += double(x[i * k + t]) * w[j * k + t];
        const double expect = apply(op, acc) + (accumulate ? y0[i * stride + j] : 0.0);
        max_err = std::max(max_err, std::fabs(y[i * stride + j] - expect));
        spread = std::max(spread, std::fabs(acc));
      }
      for (size_t j = n; j < stride; ++j) ASSERT_EQ(y[i * stride + j], y0[i * stride + j]);
    }
    EXPECT_LT(max_err, 0.04 * spread + 1e-3) << precision_name(precision) << " m=" << m << " n=" << n << " k=" << k;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Int8AndBf16, LowPrecisionLinearTest,
    ::testing::Combine(::testing::Values(Precision::kInt8, Precision::kBF16),
                       ::testing::Values(PostOp::kNone, PostOp::kGeluErf, PostOp::kGeluTanh, PostOp::kRelu,
                                         PostOp::kTanh),
                       ::testing::Bool()));

TEST(LinearTest, Int8HandlesZeroRowsAndConstantInputs) {
  auto w = random_vector(4 * 6, 30, 0.5f);
  Linear lin(w.data(), nullptr, 4, 6, PostOp::kNone, false, Precision::kInt8);
  std::vector<float> y(8, 42.f), x(12, 0.f);
  lin.forward(x.data(), 0, y.data());
  EXPECT_EQ(y[0], 42.f);
  lin.forward(x.data(), 2, y.data());  // all-zero input rows give exactly zero
  for (float v : y) EXPECT_EQ(v, 0.f);
}

TEST(LinearTest, Int8LayersHandingOverQuantisedRowsEqualTwoPlainForwards) {
  const size_t rows = 300, D = 24, F = 70;  // several convolution calls per product
  auto w1 = random_vector(F * D, 31, 0.3f), b1 = random_vector(F, 32), w2 = random_vector(D * F, 33, 0.3f),
       b2 = random_vector(D, 34), x = random_vector(rows * D, 35);
  Linear in(w1.data(), b1.data(), F, D, PostOp::kGeluErf, false, Precision::kInt8);
  Linear out(w2.data(), b2.data(), D, F, PostOp::kNone, /*accumulate=*/true, Precision::kInt8);
  std::vector<float> mid(rows * F), plain = x, fused = x;
  in.forward(x.data(), rows, mid.data());
  out.forward(mid.data(), rows, plain.data());
  std::vector<uint8_t> values(rows * F);
  std::vector<float> scale(rows);
  std::vector<int32_t> zero(rows);
  const QuantizedRows handed{values.data(), scale.data(), zero.data()};
  in.forward_quantized_output(x.data(), rows, handed);
  out.forward_quantized_input(handed, rows, fused.data());
  EXPECT_EQ(fused, plain);
  EXPECT_THROW(out.forward_quantized_output(x.data(), rows, handed), std::logic_error);  // accumulates
}

TEST(LinearTest, Int8InputQuantisedByTheCallerGivesTheLayersOwnAnswer) {
  const size_t rows = 300, D = 24, F = 70;
  auto w1 = random_vector(F * D, 41, 0.3f), b1 = random_vector(F, 42), x = random_vector(rows * D, 43);
  Linear in(w1.data(), b1.data(), F, D, PostOp::kGeluErf, false, Precision::kInt8);
  std::vector<float> plain(rows * F), fed(rows * F);
  in.forward(x.data(), rows, plain.data());
  std::vector<uint8_t> xv(rows * D), mv(rows * F), hv(rows * F);
  std::vector<float> xs(rows), ms(rows), hs(rows);
  std::vector<int32_t> xz(rows), mz(rows), hz(rows);
  const QuantizedRows xq{xv.data(), xs.data(), xz.data()};
  // Quantised in two pieces, as a LayerNorm fused into an epilogue does.
  in.quantize_input_rows(x.data(), 100, xq);
  in.quantize_input_rows(x.data() + 100 * D, rows - 100, xq.from_row(100, D));
  in.forward_quantized_input(xq, rows, fed.data());
  EXPECT_EQ(fed, plain);
  // Quantised in, quantised out: the rows forward_quantized_output() hands on.
  in.forward_quantized(xq, rows, {mv.data(), ms.data(), mz.data()});
  in.forward_quantized_output(x.data(), rows, {hv.data(), hs.data(), hz.data()});
  EXPECT_EQ(mv, hv);
  EXPECT_EQ(ms, hs);
  EXPECT_EQ(mz, hz);
}

// From kTaskMinRows rows an int8 product goes as row tasks on single-threaded primitives, and a
// caller's own tasks run it on their thread: integer products and per-row epilogues, so every
// way gives the bits of smaller calls on the whole pool.
TEST(LinearTest, Int8RowTasksGiveTheBitsOfCallsOnTheWholePool) {
  const size_t kMaxRows = 1100, D = 96, N = 80;
  auto w = random_vector(N * D, 61, 0.3f), b = random_vector(N, 62), x = random_vector(kMaxRows * D, 63);
  Linear lin(w.data(), b.data(), N, D, PostOp::kGeluErf, false, Precision::kInt8);
  if (!lin.runs_on_one_thread()) GTEST_SKIP() << "int8 has no single-threaded route on this CPU (" << effective_isa() << ")";
  const size_t threads = num_threads();
  set_num_threads(2);
  for (size_t rows : {size_t{300}, kMaxRows}) {  // tasks of 32 rows, and of 64 (task_rows)
    SCOPED_TRACE(rows);
    std::vector<float> pool(rows * N), tasks(rows * N), callers(rows * N);
    for (size_t r = 0; r < rows; r += 100) lin.forward(x.data() + r * D, 100, pool.data() + r * N);
    lin.forward(x.data(), rows, tasks.data());
    // Blocks wider than kTaskRows: a call inside a task is split into several products.
    run_row_tasks(rows, kTaskRows + 9, [&](size_t begin, size_t end) {
      lin.forward(x.data() + begin * D, end - begin, callers.data() + begin * N);
    });
    EXPECT_EQ(tasks, pool);
    EXPECT_EQ(callers, pool);
  }
  set_num_threads(threads);
}

// oneDNN would run a primitive made for the pool as one thread's share of it: refused, not wrong.
TEST(LinearTest, LayersThatNeedThePoolRefuseToRunInsideACallersTasks) {
  const size_t D = 16, N = 8;
  auto w = random_vector(N * D, 64, 0.3f), x = random_vector(64 * D, 65);
  Linear lin(w.data(), nullptr, N, D, PostOp::kNone, false, Precision::kF32);
  ASSERT_FALSE(lin.runs_on_one_thread());
  const size_t threads = num_threads();
  set_num_threads(2);
  std::atomic<int> refused{0};
  std::vector<float> y(64 * N);
  run_row_tasks(64, 32, [&](size_t begin, size_t end) {
    try {
      lin.forward(x.data() + begin * D, end - begin, y.data() + begin * N);
    } catch (const std::logic_error&) {
      ++refused;
    }
  });
  set_num_threads(threads);
  EXPECT_EQ(refused.load(), 2);
}

TEST(RowTasksTest, CoverEveryRowOnceInBlocksOfAtMostTheBlockSize) {
  const size_t threads = num_threads();
  set_num_threads(2);
  for (size_t rows : {0, 1, 31, 32, 33, 300}) {
    SCOPED_TRACE(rows);
    std::vector<int> seen(rows, 0);
    std::atomic<bool> too_big{false};
    run_row_tasks(rows, 32, [&](size_t begin, size_t end) {
      if (end - begin > 32 || begin >= end) too_big = true;
      for (size_t r = begin; r < end; ++r) ++seen[r];  // blocks never overlap
    });
    EXPECT_FALSE(too_big.load());
    EXPECT_EQ(seen, std::vector<int>(rows, 1));
  }
  set_num_threads(threads);
}

class RowsDoneTest : public ::testing::TestWithParam<Precision> {};

// What a fused LayerNorm relies on: every output row reaches `done` exactly once, already final.
TEST_P(RowsDoneTest, SeesEveryRowOnceAndOnlyWhenItIsFinal) {
  const Precision precision = GetParam();
  if (auto st = precision_supported(precision); !st.ok()) GTEST_SKIP() << st.error().message;
  const size_t D = 24, N = 40;
  auto w = random_vector(N * D, 51, 0.3f), b = random_vector(N, 52);
  Linear lin(w.data(), b.data(), N, D, PostOp::kNone, /*accumulate=*/true, precision);
  for (size_t rows : {1, 7, 64, 300}) {  // one call, several calls of the per-row-count routes
    SCOPED_TRACE(rows);
    auto x = random_vector(rows * D, 53), start = random_vector(rows * N, 54);
    std::vector<float> expected = start, y = start;
    lin.forward(x.data(), rows, expected.data());
    std::vector<int> seen(rows, 0);
    std::vector<float> at_done(rows * N);
    const auto done = [&](size_t begin, size_t end) {
      for (size_t r = begin; r < end; ++r) {
        ++seen[r];  // ranges never overlap, so no two threads touch one row
        std::copy_n(y.data() + r * N, N, at_done.data() + r * N);
      }
    };
    lin.forward(x.data(), rows, y.data(), 0, done);
    EXPECT_EQ(y, expected);
    EXPECT_EQ(at_done, expected);
    EXPECT_EQ(seen, std::vector<int>(rows, 1));
  }
}

INSTANTIATE_TEST_SUITE_P(Precisions, RowsDoneTest,
                         ::testing::Values(Precision::kF32, Precision::kBF16, Precision::kInt8),
                         [](const auto& info) { return std::string(precision_name(info.param)); });

TEST(PrecisionTest, NamesRoundTripAndUnknownNamesAreRefused) {
  for (Precision p : {Precision::kF32, Precision::kBF16, Precision::kInt8}) {
    auto parsed = parse_precision(precision_name(p));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, p);
  }
  auto bad = parse_precision("fp8");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("fp32, bf16, int8"), std::string::npos);
  EXPECT_TRUE(precision_supported(Precision::kF32).ok());
  EXPECT_TRUE(precision_supported(Precision::kInt8).ok());
}

// Lone sequences of up to 64 tokens go head by head through the Highway kernel (row and column
// tails at every vector width: head_dim 5 and 64, lengths not multiples of 4 or 16), longer ones
// through oneDNN, past 128 tokens in several blocks of queries (the last one partial).
class AttentionReferenceTest : public ::testing::TestWithParam<size_t> {};

TEST_P(AttentionReferenceTest, MatchesScalarReferenceForEveryLength) {
  const size_t H = 3, d = GetParam(), D = H * d;
  Attention attn(H, d);
  for (size_t L : {1, 2, 3, 5, 9, 16, 17, 31, 64, 65, 129, 300}) {
    auto qkv = random_vector(L * 3 * D, static_cast<unsigned>(L));
    std::vector<float> ctx(L * D);
    attn.forward(qkv.data(), L, ctx.data());
    for (size_t h = 0; h < H; ++h) {
      for (size_t i = 0; i < L; ++i) {
        std::vector<double> p(L);
        double max = -1e300, sum = 0;
        for (size_t j = 0; j < L; ++j) {
          double s = 0;
          for (size_t t = 0; t < d; ++t) s += double(qkv[i * 3 * D + h * d + t]) * qkv[j * 3 * D + D + h * d + t];
          p[j] = s / std::sqrt(double(d));
          max = std::max(max, p[j]);
        }
        for (auto& v : p) sum += (v = std::exp(v - max));
        for (size_t t = 0; t < d; ++t) {
          double c = 0;
          for (size_t j = 0; j < L; ++j) c += p[j] / sum * qkv[j * 3 * D + 2 * D + h * d + t];
          ASSERT_NEAR(ctx[i * D + h * d + t], c, 1e-5) << "L=" << L << " d=" << d;
        }
      }
    }
  }
}
INSTANTIATE_TEST_SUITE_P(HeadDims, AttentionReferenceTest, ::testing::Values(5, 64));

TEST(AttentionTest, FirstTokensEqualTheFirstRowOfEachSequencesFullAttention) {
  // Head sizes 5 (scalar tails) and 64 (whole vectors); from one short sequence (inline) to a
  // batch of them (spread over the pool).
  for (size_t d : {5u, 64u}) {
    const size_t H = 3, D = H * d;
    Attention attn(H, d);
    for (const std::vector<uint32_t>& lengths :
         {std::vector<uint32_t>{1}, {7}, {33}, {40, 1, 129, 17, 64, 3, 90, 55, 8, 31, 77, 12}}) {
      std::vector<uint32_t> cu{0};
      for (uint32_t len : lengths) cu.push_back(cu.back() + len);
      const size_t B = lengths.size();
      auto qkv = random_vector(cu.back() * 3 * D, static_cast<unsigned>(100 + cu.back() + d));
      std::vector<float> q(B * D), one(B * D);
      for (size_t b = 0; b < B; ++b) std::copy_n(qkv.data() + cu[b] * 3 * D, D, q.data() + b * D);
      attn.attend_first_tokens(q.data(), qkv.data(), cu.data(), B, one.data());
      for (size_t b = 0; b < B; ++b) {
        std::vector<float> full(lengths[b] * D);
        attn.forward(qkv.data() + cu[b] * 3 * D, lengths[b], full.data());
        for (size_t i = 0; i < D; ++i) {
          ASSERT_NEAR(one[b * D + i], full[i], 1e-5) << "d=" << d << " sequence " << b << " of " << B;
        }
      }
    }
  }
}

TEST(AttentionTest, PackedBatchEqualsEachSequenceAlone) {
  const size_t H = 4, d = 8, D = H * d;
  Attention attn(H, d);
  // From one sequence (products forked inside) to many (sequences spread over the pool),
  // lengths unsorted so the longest-first order is exercised.
  // The last case has sequences long enough to go in blocks of query rows, per head.
  for (size_t batch : {1, 3, 9, 5}) {
    std::vector<uint32_t> cu{0};
    for (size_t b = 0; b < batch; ++b) {
      const size_t len = batch == 5 ? 1 + (b * 137) % 300 : 1 + (b * 37) % 23;  // 1, 138, 275, 112, 249
      cu.push_back(cu.back() + static_cast<uint32_t>(len));
    }
    const size_t T = cu.back();
    auto qkv = random_vector(T * 3 * D, static_cast<unsigned>(batch));
    std::vector<float> packed(T * D), alone(T * D);
    attn.forward_packed(qkv.data(), cu.data(), batch, packed.data());
    for (size_t b = 0; b < batch; ++b) {
      const size_t len = cu[b + 1] - cu[b];
      attn.forward(qkv.data() + cu[b] * 3 * D, len, alone.data() + cu[b] * D);
    }
    // Not bit-equal: a lone short sequence takes the Highway kernel, one inside a packed batch
    // oneDNN's products, which sum in another order.
    for (size_t i = 0; i < T * D; ++i) ASSERT_NEAR(packed[i], alone[i], 1e-5) << "batch " << batch << " at " << i;
  }
}

// bf16 products: oneDNN takes q, k, v and the probabilities rounded to bf16, and sums, scales
// and softmaxes in f32. The reference rounds the same values and computes the rest in double;
// what may still differ is a probability rounded to the neighbouring bf16 (its f32 score differs
// in the last bits), at most 2^-8 of p|v| each. A wrong stride or head offset moves values by
// whole tenths.
std::vector<float> bf16_rounded(const std::vector<float>& x) {
  std::vector<uint16_t> bits(x.size());
  round_to_bf16(x.data(), x.size(), bits.data());
  std::vector<float> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const uint32_t u = static_cast<uint32_t>(bits[i]) << 16;
    std::memcpy(&out[i], &u, sizeof u);
  }
  return out;
}

TEST(AttentionTest, Bf16ProductsMatchAReferenceOnBf16RoundedValues) {
  if (!precision_supported(Precision::kBF16).ok()) GTEST_SKIP() << "no bf16 instructions on this CPU";
  const size_t H = 3, d = 64, D = H * d;
  Attention attn(H, d, Precision::kBF16);
  // Two threads and more sequences than twice that: every sequence goes through oneDNN's
  // products (all heads at once up to 128 tokens, blocks of query rows past it).
  const size_t threads = num_threads();
  set_num_threads(2);
  const std::vector<uint32_t> lengths{1, 17, 64, 65, 129, 200};
  std::vector<uint32_t> cu{0};
  for (uint32_t len : lengths) cu.push_back(cu.back() + len);
  const auto qkv = random_vector(cu.back() * 3 * D, 21);
  const auto rounded = bf16_rounded(qkv);
  std::vector<float> ctx(cu.back() * D);
  attn.forward_packed(qkv.data(), cu.data(), lengths.size(), ctx.data());
  set_num_threads(threads);
  for (size_t b = 0; b < lengths.size(); ++b) {
    const size_t L = lengths[b];
    const float* x = rounded.data() + cu[b] * 3 * D;
    for (size_t h = 0; h < H; ++h) {
      for (size_t i = 0; i < L; ++i) {
        std::vector<float> p(L);
        std::vector<double> s(L);
        double max = -1e300, sum = 0;
        for (size_t j = 0; j < L; ++j) {
          for (size_t t = 0; t < d; ++t)
            s[j] += double(x[i * 3 * D + h * d + t]) * x[j * 3 * D + D + h * d + t];
          s[j] /= std::sqrt(double(d));
          max = std::max(max, s[j]);
        }
        for (auto& v : s) sum += (v = std::exp(v - max));
        for (size_t j = 0; j < L; ++j) p[j] = static_cast<float>(s[j] / sum);
        p = bf16_rounded(p);
        for (size_t t = 0; t < d; ++t) {
          double c = 0, bound = 1e-5;
          for (size_t j = 0; j < L; ++j) {
            const double v = x[j * 3 * D + 2 * D + h * d + t];
            c += p[j] * v;
            bound += std::ldexp(p[j] * std::fabs(v), -8);
          }
          ASSERT_NEAR(ctx[(cu[b] + i) * D + h * d + t], c, bound)
              << "L=" << L << " head " << h << " row " << i;
        }
      }
    }
  }
}

TEST(AttentionTest, ProductsAreFp32OrBf16) {
  EXPECT_THROW(Attention(2, 4, Precision::kInt8), std::invalid_argument);
}

TEST(LayerNormTest, RowsSpreadOverThePoolMatchOneRowAtATime) {
  const size_t rows = 300, cols = 769;  // enough work to fork
  auto x = random_vector(rows * cols, 9), gamma = random_vector(cols, 10), beta = random_vector(cols, 11);
  std::vector<float> all(rows * cols), each(rows * cols);
  layer_norm(x.data(), gamma.data(), beta.data(), all.data(), rows, cols, 1e-12f);
  for (size_t r = 0; r < rows; ++r) {
    layer_norm(x.data() + r * cols, gamma.data(), beta.data(), each.data() + r * cols, 1, cols, 1e-12f);
  }
  EXPECT_EQ(all, each);
}

TEST(LayerNormTest, NormalisesEachRowInPlace) {
  const size_t rows = 3, cols = 37;
  auto x = random_vector(rows * cols, 7, 3.f), g = random_vector(cols, 8), b = random_vector(cols, 9);
  const auto x0 = x;
  layer_norm(x.data(), g.data(), b.data(), x.data(), rows, cols, 1e-12f);
  for (size_t r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (size_t i = 0; i < cols; ++i) mean += x0[r * cols + i];
    mean /= cols;
    for (size_t i = 0; i < cols; ++i) var += (x0[r * cols + i] - mean) * (x0[r * cols + i] - mean);
    var /= cols;
    for (size_t i = 0; i < cols; ++i) {
      EXPECT_NEAR(x[r * cols + i], (x0[r * cols + i] - mean) / std::sqrt(var) * g[i] + b[i], 1e-5);
    }
  }
}

TEST(SoftmaxTest, RowsSumToOneAndSurviveLargeValues) {
  std::vector<float> x = {1000.f, 1001.f, 999.f, -5.f, 0.f, 5.f};
  softmax_rows(x.data(), 2, 3);
  EXPECT_NEAR(x[0] + x[1] + x[2], 1.f, 1e-6);
  EXPECT_NEAR(x[1], std::exp(1.0) / (1 + std::exp(1.0) + std::exp(-1.0)), 1e-6);
  EXPECT_NEAR(x[5], 1 / (1 + std::exp(-5.0) + std::exp(-10.0)), 1e-6);
}

TEST(CpuTest, ReportsAnIsaAndAtLeastOneCore) {
  EXPECT_FALSE(effective_isa().empty());
  EXPECT_GE(available_cores(), 1u);
  EXPECT_FALSE(set_max_isa("no-such-isa").ok());
}

// A cgroup tree in a temporary folder: each entry is a folder (relative to the root) and the
// text of its cpu.max, or of v1's cpu.cfs_quota_us with cpu.cfs_period_us 100000.
class CgroupTree {
 public:
  CgroupTree() : root_(std::filesystem::temp_directory_path() / ("verdict-cgroup-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(root_);
  }
  ~CgroupTree() { std::filesystem::remove_all(root_); }
  void v2(const std::string& dir, const std::string& cpu_max) { write(dir, "cpu.max", cpu_max); }
  void v1(const std::string& dir, const std::string& quota_us) {
    write(dir, "cpu.cfs_quota_us", quota_us);
    write(dir, "cpu.cfs_period_us", "100000");
  }
  const std::filesystem::path& root() const { return root_; }

 private:
  void write(const std::string& dir, const std::string& name, const std::string& text) {
    std::filesystem::create_directories(root_ / dir);
    std::ofstream(root_ / dir / name) << text << "\n";
  }
  std::filesystem::path root_;
};

TEST(CgroupTest, ReadsTheQuotaOfTheCgroupMountedAsTheRoot) {
  CgroupTree t;
  EXPECT_EQ(cgroup_cpu_limit(t.root(), "0::/\n"), 0.0);  // nothing there: no limit
  t.v2("", "max 100000");
  EXPECT_EQ(cgroup_cpu_limit(t.root(), "0::/\n"), 0.0);
  t.v2("", "150000 100000");  // Cloud Run / Kubernetes: 1.5 CPUs
  EXPECT_DOUBLE_EQ(cgroup_cpu_limit(t.root(), "0::/\n"), 1.5);
  // In a container the host's path is not there: the root is the container's own cgroup.
  EXPECT_DOUBLE_EQ(cgroup_cpu_limit(t.root(), "0::/kubepods/pod1/abc\n"), 1.5);
}

TEST(CgroupTest, TheSmallestLimitFromTheProcessCgroupUpToTheRootApplies) {
  CgroupTree t;
  t.v2("", "max 100000");
  t.v2("system.slice", "400000 100000");
  t.v2("system.slice/verdict.service", "100000 100000");
  EXPECT_DOUBLE_EQ(cgroup_cpu_limit(t.root(), "0::/system.slice/verdict.service\n"), 1.0);
  t.v2("system.slice/verdict.service", "max 100000");
  EXPECT_DOUBLE_EQ(cgroup_cpu_limit(t.root(), "0::/system.slice/verdict.service\n"), 4.0);
  EXPECT_EQ(cgroup_cpu_limit(t.root(), "0::/other.slice\n"), 0.0);
}

TEST(CgroupTest, ReadsCgroupV1AndIgnoresWhatIsNotANumber) {
  CgroupTree t;
  t.v1("cpu", "-1");
  EXPECT_EQ(cgroup_cpu_limit(t.root(), "4:cpu,cpuacct:/docker/abc\n0::/\n"), 0.0);
  t.v1("cpu", "200000");
  EXPECT_DOUBLE_EQ(cgroup_cpu_limit(t.root(), "4:cpu,cpuacct:/docker/abc\n"), 2.0);
  t.v1("cpu/docker/abc", "50000");
  EXPECT_DOUBLE_EQ(cgroup_cpu_limit(t.root(), "4:cpu,cpuacct:/docker/abc\n"), 0.5);
  t.v2("", "lots 100000");
  t.v1("cpu", "garbage");
  EXPECT_DOUBLE_EQ(cgroup_cpu_limit(t.root(), "4:cpu,cpuacct:/docker/abc\n0::/\n"), 0.5);
  EXPECT_EQ(cgroup_cpu_limit(t.root(), "not a cgroup file"), 0.0);
}

// OpenMP keeps the pool size per thread: a thread started later must adopt the process's count
// (--threads, a cgroup quota) rather than OpenMP's default of every CPU in the mask.
TEST(CpuTest, ANewThreadAdoptsTheProcessWideComputeThreads) {
  const size_t before = compute_threads();
  set_compute_threads(1);
  EXPECT_EQ(num_threads(), 1u);
  size_t adopted = 0;
  std::thread([&] {
    adopt_compute_threads();
    adopted = num_threads();
  }).join();
  EXPECT_EQ(adopted, 1u);
  EXPECT_EQ(compute_threads(), 1u);
  set_compute_threads(before);
  EXPECT_EQ(num_threads(), before);
}

TEST(CpuTest, NamesTheOpenMpWaitPolicyFromTheEnvironment) {
  // libgomp read the environment at start-up; this names what it read (CTest runs the tests
  // with OMP_WAIT_POLICY=PASSIVE from scripts/test, or whatever the caller set).
  const std::string policy = openmp_wait_policy();
  const char* spin = std::getenv("GOMP_SPINCOUNT");
  if (spin && *spin) {
    EXPECT_EQ(policy, std::string("spin ") + spin + " rounds");
  } else {
    EXPECT_TRUE(policy == "passive" || policy == "active" || policy == "default spin") << policy;
  }
}

TEST(CpuTest, KernelsStillForkAfterTheThreadPoolIsReleased) {
  const size_t rows = 300, cols = 769;
  auto x = random_vector(rows * cols, 12), gamma = random_vector(cols, 13), beta = random_vector(cols, 14);
  std::vector<float> first(rows * cols), second(rows * cols);
  layer_norm(x.data(), gamma.data(), beta.data(), first.data(), rows, cols, 1e-12f);
  release_thread_pool();
  release_thread_pool();  // twice: nothing left to release is fine
  layer_norm(x.data(), gamma.data(), beta.data(), second.data(), rows, cols, 1e-12f);
  EXPECT_EQ(first, second);
}

}  // namespace
}  // namespace verdict::kernels
