// The vectorised kernels on every SIMD target this CPU runs (best down to the scalar
// fallback), each against a plain double-precision reference, with odd sizes for the tails.
#include "verdict/kernels/vector_ops.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <random>
#include <vector>

#include "verdict/kernels/layer_norm.h"
#include "verdict/kernels/random_data.h"
#include "verdict/kernels/softmax.h"

namespace verdict::kernels {
namespace {

double reference_post(PostOp op, double v) {
  switch (op) {
    case PostOp::kNone: return v;
    case PostOp::kGeluErf: return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
    case PostOp::kGeluTanh: return 0.5 * v * (1 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
    case PostOp::kRelu: return v > 0 ? v : 0;
    case PostOp::kTanh: return std::tanh(v);
  }
  return v;
}

class EveryTarget : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { ASSERT_TRUE(limit_simd_target(GetParam())); }
  void TearDown() override { limit_simd_target(""); }
};

TEST_P(EveryTarget, RunsTheTargetAskedFor) { EXPECT_EQ(active_simd_target(), GetParam()); }

TEST_P(EveryTarget, QuantisedRowsReconstructWithinHalfAStep) {
  for (int qmax : {127, 255}) {
    // 83: a block of 64 (four vectors packed at once on AVX-512), one vector and a tail.
    for (size_t cols : {1u, 7u, 33u, 83u, 768u}) {
      auto x = random_vector(3 * cols, 5, 2.f, 0.5f);
      x[1] = 0.f;
      std::vector<uint8_t> q(x.size());
      float scale[3];
      int32_t zero[3];
      quantize_rows_u8(x.data(), 3, cols, qmax, q.data(), scale, zero);
      for (size_t r = 0; r < 3; ++r) {
        ASSERT_GE(zero[r], 0);
        ASSERT_LE(zero[r], qmax);
        for (size_t c = 0; c < cols; ++c) {
          const size_t i = r * cols + c;
          ASSERT_LE(q[i], qmax);
          ASSERT_NEAR(scale[r] * (q[i] - zero[r]), x[i], 0.5 * scale[r] + 1e-6) << "cols " << cols;
        }
      }
      if (cols > 1) {
        EXPECT_NEAR(scale[0] * (q[1] - zero[0]), 0.f, 0.5 * scale[0]);
      }
    }
  }
  std::vector<float> zeros(9, 0.f);
  std::vector<uint8_t> q(9, 7);
  float scale;
  int32_t zero;
  quantize_rows_u8(zeros.data(), 1, 9, 127, q.data(), &scale, &zero);
  for (uint8_t v : q) EXPECT_EQ(v, 0);
  EXPECT_EQ(scale * (0 - zero), 0.f);
}

// Bit for bit what the scalar rule gives (q = lrint(w / s), s = max|w| / 127), which the int8
// weights were quantised with before this kernel: loading a model must not change its answers.
TEST_P(EveryTarget, WeightRowsQuantiseExactlyAsTheScalarRule) {
  for (size_t cols : {1u, 7u, 33u, 768u}) {
    auto w = random_vector(4 * cols, 6, 0.2f);
    std::fill(w.begin() + 2 * cols, w.begin() + 3 * cols, 0.f);  // an all-zero row
    if (cols > 2) w[1] = -w[2] * 1.5f;  // a negative largest magnitude
    std::vector<int8_t> q(w.size());
    float scale[4];
    int32_t sum[4];
    quantize_weight_rows_s8(w.data(), 4, cols, q.data(), scale, sum);
    for (size_t r = 0; r < 4; ++r) {
      float amax = 0.f;
      for (size_t c = 0; c < cols; ++c) amax = std::max(amax, std::fabs(w[r * cols + c]));
      const float s = amax > 0.f ? amax / 127.f : 1.f;
      ASSERT_EQ(scale[r], s) << "row " << r << " cols " << cols;
      int32_t total = 0;
      for (size_t c = 0; c < cols; ++c) {
        const auto expect = static_cast<int8_t>(std::clamp(std::lrint(w[r * cols + c] / s), -127L, 127L));
        ASSERT_EQ(q[r * cols + c], expect) << "row " << r << " col " << c << " cols " << cols;
        total += expect;
      }
      EXPECT_EQ(sum[r], total);
    }
  }
}

TEST_P(EveryTarget, DequantisingAppliesScalesBiasPostOpAndResidual) {
  const size_t rows = 3, cols = 37;
  std::mt19937 rng(9);
  std::vector<int32_t> acc(rows * cols), col_sum(cols), row_zero(rows);
  for (auto& a : acc) a = static_cast<int32_t>(rng() % 200001) - 100000;
  for (auto& s : col_sum) s = static_cast<int32_t>(rng() % 4001) - 2000;
  for (auto& z : row_zero) z = static_cast<int32_t>(rng() % 128);
  const auto row_scale = random_vector(rows, 1, 1e-3f, 2e-3f), col_scale = random_vector(cols, 2, 1e-4f, 3e-4f);
  const auto bias = random_vector(cols, 3);
  for (PostOp op : {PostOp::kNone, PostOp::kGeluErf, PostOp::kGeluTanh, PostOp::kRelu, PostOp::kTanh}) {
    for (bool accumulate : {false, true}) {
      for (bool with_bias : {false, true}) {
        const size_t stride = cols + 3;
        auto y = random_vector(rows * stride, 4);
        const auto y0 = y;
        const Dequantize how{row_scale.data(), row_zero.data(), col_scale.data(), col_sum.data(),
                             with_bias ? bias.data() : nullptr, op, accumulate};
        dequantize_rows(acc.data(), rows, cols, how, y.data(), stride);
        for (size_t r = 0; r < rows; ++r) {
          for (size_t c = 0; c < cols; ++c) {
            double v = double(row_scale[r]) * col_scale[c] * (double(acc[r * cols + c]) - double(row_zero[r]) * col_sum[c]);
            if (with_bias) v += bias[c];
            const double expect = reference_post(op, v) + (accumulate ? y0[r * stride + c] : 0.0);
            ASSERT_NEAR(y[r * stride + c], expect, 2e-5 * (1 + std::fabs(expect))) << "col " << c;
          }
          for (size_t c = cols; c < stride; ++c) ASSERT_EQ(y[r * stride + c], y0[r * stride + c]);
        }
      }
    }
  }
}

TEST_P(EveryTarget, GeluErfIsWithinAFewUlpsOfTheErfDefinition) {
  std::vector<float> x;
  for (float v = -60.f; v <= 60.f; v += 0.01f) x.push_back(v);  // past the clamp at |x| = 4·√2
  const size_t n = x.size();
  std::vector<int32_t> acc(n), zero_sum(n, 0);
  std::vector<float> ones(n, 1.f), y(n);
  const float one = 1.f;
  const int32_t zero = 0;
  // acc * 1 * 1 + bias(x) - 0 gives gelu(x) through the epilogue.
  for (size_t i = 0; i < n; ++i) acc[i] = 0;
  const Dequantize how{&one, &zero, ones.data(), zero_sum.data(), x.data(), PostOp::kGeluErf, false};
  dequantize_rows(acc.data(), 1, n, how, y.data(), n);
  for (size_t i = 0; i < n; ++i) ASSERT_NEAR(y[i], reference_post(PostOp::kGeluErf, x[i]), 1e-6 * (1 + std::fabs(x[i])));
}

TEST_P(EveryTarget, LayerNormMatchesDoublePrecision) {
  for (size_t cols : {1u, 5u, 64u, 768u, 771u}) {
    const size_t rows = 4;
    auto x = random_vector(rows * cols, 6, 3.f, 10.f), g = random_vector(cols, 7), b = random_vector(cols, 8);
    std::vector<float> y(x.size());
    layer_norm(x.data(), g.data(), b.data(), y.data(), rows, cols, 1e-12f);
    for (size_t r = 0; r < rows; ++r) {
      double mean = 0, var = 0;
      for (size_t c = 0; c < cols; ++c) mean += x[r * cols + c];
      mean /= cols;
      for (size_t c = 0; c < cols; ++c) var += (x[r * cols + c] - mean) * (x[r * cols + c] - mean);
      var /= cols;
      for (size_t c = 0; c < cols; ++c) {
        const double expect = (x[r * cols + c] - mean) / std::sqrt(var + 1e-12) * g[c] + b[c];
        ASSERT_NEAR(y[r * cols + c], expect, 1e-5 * (1 + std::fabs(expect))) << "cols " << cols;
      }
    }
  }
}

TEST_P(EveryTarget, SoftmaxMatchesDoublePrecision) {
  for (size_t cols : {1u, 3u, 8u, 17u, 512u}) {
    auto x = random_vector(2 * cols, 10, 5.f);
    x[0] = 80.f;  // exp overflows without subtracting the max
    auto y = x;
    softmax_rows(y.data(), 2, cols);
    for (size_t r = 0; r < 2; ++r) {
      double max = -1e300, sum = 0;
      for (size_t c = 0; c < cols; ++c) max = std::max<double>(max, x[r * cols + c]);
      for (size_t c = 0; c < cols; ++c) sum += std::exp(x[r * cols + c] - max);
      for (size_t c = 0; c < cols; ++c) {
        ASSERT_NEAR(y[r * cols + c], std::exp(x[r * cols + c] - max) / sum, 1e-6) << "cols " << cols;
      }
    }
  }
}

// bfloat16 = the top 16 bits after rounding to nearest, ties to even (as PyTorch and oneDNN round).
TEST_P(EveryTarget, Bf16RoundsToNearestEven) {
  const auto bf16 = [](float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    if (std::isnan(f)) return static_cast<uint16_t>((bits >> 16) | 0x40);
    const uint32_t lower = bits & 0xffffu, upper = bits >> 16;
    const bool up = lower > 0x8000u || (lower == 0x8000u && (upper & 1u));
    return static_cast<uint16_t>(upper + (up ? 1u : 0u));
  };
  std::vector<float> x = random_vector(1000, 12, 100.f);
  const uint32_t specials[] = {0x3f808000u, 0x3f818000u, 0x3f807fffu, 0x3f808001u,  // ties and neighbours
                               0x7f7fffffu, 0xff7fffffu, 0x7f800000u, 0xff800000u,  // max, infinities
                               0x00000001u, 0x80008000u, 0x00000000u, 0x80000000u,  // denormals, zeros
                               0x7fc00000u, 0x7f800001u, 0xffa00000u};             // NaNs
  for (size_t k = 0; k < std::size(specials); ++k) {
    float f;
    std::memcpy(&f, &specials[k], 4);
    x.insert(x.begin() + static_cast<std::ptrdiff_t>(3 * k), f);  // within the first vectors
    x.push_back(f);                                                // and in the tail
  }
  for (size_t n : {x.size(), size_t{7}, size_t{33}}) {
    std::vector<uint16_t> out(n);
    round_to_bf16(x.data(), n, out.data());
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], bf16(x[i])) << "x[" << i << "] = " << x[i] << ", n " << n;
  }
}

INSTANTIATE_TEST_SUITE_P(SimdTargets, EveryTarget, ::testing::ValuesIn(simd_targets()),
                         [](const auto& info) { return info.param; });

TEST(SimdTargets, IncludeAFallbackBelowTheBest) {
  const auto targets = simd_targets();
  ASSERT_FALSE(targets.empty());
  EXPECT_TRUE(targets.back() == "EMU128" || targets.back() == "SCALAR") << targets.back();
  EXPECT_FALSE(limit_simd_target("NO_SUCH_TARGET"));
}

}  // namespace
}  // namespace verdict::kernels
