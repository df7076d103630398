// Highway compiles this file once per SIMD target (foreach_target.h re-includes it) and
// HWY_DYNAMIC_DISPATCH picks the best one for the running CPU.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "verdict/kernels/vector_ops.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "verdict/kernels/attention_head.h"
#include "verdict/kernels/layer_norm.h"
#include "verdict/kernels/softmax.h"
#include "verdict/kernels/vector_ops.h"

HWY_BEFORE_NAMESPACE();
namespace verdict {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using DI = hn::RebindToSigned<DF>;

float ScalarGeluErf(float x) { return 0.5f * x * (1.f + std::erf(x * 0.70710678118654752f)); }
float ScalarGeluTanh(float x) {
  return 0.5f * x * (1.f + std::tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));
}
float ScalarPost(PostOp op, float x) {
  switch (op) {
    case PostOp::kNone: return x;
    case PostOp::kGeluErf: return ScalarGeluErf(x);
    case PostOp::kGeluTanh: return ScalarGeluTanh(x);
    case PostOp::kRelu: return x > 0.f ? x : 0.f;
    case PostOp::kTanh: return std::tanh(x);
  }
  return x;
}

// e^x for x in [-87, 0] only (all softmax needs): 2^n · e^r with |r| <= ln2/2 and a
// degree-6 Taylor polynomial (relative error < 2e-7). Half the operations of hn::Exp, whose
// range checks and general scaling it never needs. Callers clamp below -87: e^-87 ~ 1.6e-38
// is the smallest power of e that is still a normal float.
constexpr float kExpFloor = -87.f;
template <class V>
HWY_INLINE V ExpNonPositive(DF df, V x) {
  const DI di;
  const V n = hn::Round(hn::Mul(x, hn::Set(df, 1.44269504088896341f)));
  V r = hn::NegMulAdd(n, hn::Set(df, 0.693145751953125f), x);  // ln2 split in two (Cody-Waite)
  r = hn::NegMulAdd(n, hn::Set(df, 1.428606765330187045e-06f), r);
  V p = hn::Set(df, 1.f / 720);
  p = hn::MulAdd(p, r, hn::Set(df, 1.f / 120));
  p = hn::MulAdd(p, r, hn::Set(df, 1.f / 24));
  p = hn::MulAdd(p, r, hn::Set(df, 1.f / 6));
  p = hn::MulAdd(p, r, hn::Set(df, 0.5f));
  p = hn::MulAdd(p, r, hn::Set(df, 1.f));
  p = hn::MulAdd(p, r, hn::Set(df, 1.f));
  // n in [-126, 0]: 2^n is a normal float, built from its exponent bits.
  const auto bits = hn::ShiftLeft<23>(hn::Add(hn::ConvertTo(di, n), hn::Set(di, 127)));
  return hn::Mul(p, hn::BitCast(df, bits));
}

// GELU(x) = x·Φ(x), with Φ(x) - 1/2 = x·p(x²) on |x| < 5 and Φ = 0 or 1 beyond (there
// x·Φ(-x) < 1.5e-6). p has degree 13 in v = 2x²/25 - 1, a Chebyshev fit to erf (NumPy, float64)
// written out in powers of v: |error| < 3e-7·(1 + |x|), like the exp-based formula it replaced
// at half its operations (no exp, no reciprocal).
template <class V>
HWY_INLINE V GeluErf(DF df, V x) {
  constexpr float kCut = 5.f;
  static constexpr float kP[] = {1.413638145e-01f,  -7.029692829e-02f, 5.151818320e-02f,  -4.042248055e-02f,
                                 3.147349879e-02f,  -2.344472520e-02f, 1.625131257e-02f,  -1.050923858e-02f,
                                 6.734744180e-03f,  -3.862860845e-03f, 1.404933399e-03f,  -6.032588426e-04f,
                                 7.245903835e-04f,  -3.316984803e-04f};
  constexpr size_t kDegree = sizeof(kP) / sizeof(kP[0]) - 1;
  const V v = hn::MulAdd(hn::Mul(x, x), hn::Set(df, 2.f / (kCut * kCut)), hn::Set(df, -1.f));
  V p = hn::Set(df, kP[kDegree]);
  for (size_t k = kDegree; k-- > 0;) p = hn::MulAdd(p, v, hn::Set(df, kP[k]));
  const V inside = hn::MulAdd(x, p, hn::Set(df, 0.5f));
  const V outside = hn::IfThenElseZero(hn::Gt(x, hn::Zero(df)), hn::Set(df, 1.f));
  return hn::Mul(x, hn::IfThenElse(hn::Lt(hn::Abs(x), hn::Set(df, kCut)), inside, outside));
}

template <class V>
HWY_INLINE V GeluTanh(DF df, V x) {
  const V inner = hn::Mul(hn::Set(df, 0.7978845608028654f),
                          hn::MulAdd(hn::Mul(hn::Set(df, 0.044715f), hn::Mul(x, x)), x, x));
  return hn::Mul(hn::Mul(hn::Set(df, 0.5f), x), hn::Add(hn::Set(df, 1.f), hn::Tanh(df, inner)));
}

template <PostOp kOp, class V>
HWY_INLINE V Post(DF df, V x) {
  if constexpr (kOp == PostOp::kGeluErf) return GeluErf(df, x);
  if constexpr (kOp == PostOp::kGeluTanh) return GeluTanh(df, x);
  if constexpr (kOp == PostOp::kRelu) return hn::Max(x, hn::Zero(df));
  if constexpr (kOp == PostOp::kTanh) return hn::Tanh(df, x);
  return x;
}

void QuantizeRowsU8(const float* x, size_t rows, size_t cols, int qmax, uint8_t* q, float* scale,
                    int32_t* zero) {
  const DF df;
  const DI di;
  const hn::Rebind<uint8_t, DI> du8;
  const size_t N = hn::Lanes(df);
  for (size_t r = 0; r < rows; ++r) {
    const float* in = x + r * cols;
    uint8_t* out = q + r * cols;
    auto vmin = hn::Zero(df), vmax = hn::Zero(df);
    size_t i = 0;
    for (; i + N <= cols; i += N) {
      const auto v = hn::LoadU(df, in + i);
      vmin = hn::Min(vmin, v);
      vmax = hn::Max(vmax, v);
    }
    float lo = hn::GetLane(hn::MinOfLanes(df, vmin)), hi = hn::GetLane(hn::MaxOfLanes(df, vmax));
    for (size_t j = i; j < cols; ++j) lo = std::min(lo, in[j]), hi = std::max(hi, in[j]);
    if (!(hi > lo)) {  // an all-zero row
      scale[r] = 1.f;
      zero[r] = 0;
      std::fill(out, out + cols, uint8_t{0});
      continue;
    }
    const float s = (hi - lo) / static_cast<float>(qmax);
    const int32_t zp = std::clamp(static_cast<int32_t>(std::lrint(-lo / s)), 0, qmax);
    scale[r] = s;
    zero[r] = zp;
    const float inv = 1.f / s;
    const auto vinv = hn::Set(df, inv);
    const auto vzp = hn::Set(di, zp), vlo = hn::Zero(di), vhi = hn::Set(di, qmax);
    const auto quantize = [&](size_t at) {
      return hn::Min(hn::Max(hn::Add(hn::NearestInt(hn::Mul(hn::LoadU(df, in + at), vinv)), vzp), vlo), vhi);
    };
    i = 0;
#if HWY_TARGET <= HWY_AVX3
    // Four vectors to one: two 32→16-bit packs, one 16→8 and one permute for 64 values, where
    // DemoteTo spends three shuffles on each 16 (the values are in [0, qmax] already, so the
    // saturating packs change nothing).
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    for (; i + 4 * N <= cols; i += 4 * N) {
      const __m512i lo16 = _mm512_packus_epi32(quantize(i).raw, quantize(i + N).raw);
      const __m512i hi16 = _mm512_packus_epi32(quantize(i + 2 * N).raw, quantize(i + 3 * N).raw);
      _mm512_storeu_si512(out + i, _mm512_permutexvar_epi32(order, _mm512_packus_epi16(lo16, hi16)));
    }
#endif
    for (; i + N <= cols; i += N) hn::StoreU(hn::DemoteTo(du8, quantize(i)), du8, out + i);
    for (; i < cols; ++i) {
      out[i] = static_cast<uint8_t>(std::clamp(static_cast<int32_t>(std::lrint(in[i] * inv)) + zp, 0, qmax));
    }
  }
}

uint16_t ScalarBf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);  // NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);  // round to nearest even
  return static_cast<uint16_t>(bits >> 16);
}

// Highway's own DemoteTo(bfloat16) truncates; this rounds like the scalar version.
void RoundToBf16(const float* x, size_t n, uint16_t* out) {
  const DF df;
  const hn::RebindToUnsigned<DF> du;
  const DI di;
  const hn::Rebind<uint16_t, DI> du16;
  const size_t N = hn::Lanes(df);
  const auto bias = hn::Set(du, 0x7fffu), one = hn::Set(du, 1u), quiet = hn::Set(du, 0x00400000u);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto v = hn::LoadU(df, x + i);
    auto bits = hn::BitCast(du, v);
    const auto rounded = hn::Add(bits, hn::Add(bias, hn::And(hn::ShiftRight<16>(bits), one)));
    bits = hn::IfThenElse(hn::RebindMask(du, hn::IsNaN(v)), hn::Or(bits, quiet), rounded);
    // The top halves are 0..65535: as i32 they demote to u16 unchanged.
    hn::StoreU(hn::DemoteTo(du16, hn::BitCast(di, hn::ShiftRight<16>(bits))), du16, out + i);
  }
  for (; i < n; ++i) out[i] = ScalarBf16(x[i]);
}

void QuantizeWeightRowsS8(const float* w, size_t rows, size_t cols, int8_t* q, float* scale, int32_t* sum) {
  const DF df;
  const DI di;
  const hn::Rebind<int8_t, DI> di8;
  const size_t N = hn::Lanes(df);
  for (size_t r = 0; r < rows; ++r) {
    const float* in = w + r * cols;
    int8_t* out = q + r * cols;
    auto vmax = hn::Zero(df);
    size_t i = 0;
    for (; i + N <= cols; i += N) vmax = hn::Max(vmax, hn::Abs(hn::LoadU(df, in + i)));
    float amax = hn::GetLane(hn::MaxOfLanes(df, vmax));
    for (size_t j = i; j < cols; ++j) amax = std::max(amax, std::fabs(in[j]));
    const float s = amax > 0.f ? amax / 127.f : 1.f;
    // Divided, not multiplied by 1/s, and rounded half to even: the values lrint(w / s) gives.
    const auto vs = hn::Set(df, s);
    const auto vlo = hn::Set(di, -127), vhi = hn::Set(di, 127);
    auto vsum = hn::Zero(di);
    for (i = 0; i + N <= cols; i += N) {
      const auto qi = hn::Min(hn::Max(hn::NearestInt(hn::Div(hn::LoadU(df, in + i), vs)), vlo), vhi);
      vsum = hn::Add(vsum, qi);
      hn::StoreU(hn::DemoteTo(di8, qi), di8, out + i);
    }
    int32_t total = hn::GetLane(hn::SumOfLanes(di, vsum));
    for (; i < cols; ++i) {
      out[i] = static_cast<int8_t>(std::clamp(std::lrint(in[i] / s), -127L, 127L));
      total += out[i];
    }
    scale[r] = s;
    sum[r] = total;
  }
}

// One loop per post-op, bias and accumulation: a switch inside the vector loop kept the compiler
// from inlining the activation (GELU 7x slower), and with `how`'s fields read through a pointer
// it reloaded every column pointer and retested both flags on each vector, since the stores
// might have changed them.
template <PostOp kOp, bool kBias, bool kAccumulate>
void DequantizeRowsWith(const int32_t* HWY_RESTRICT acc, size_t rows, size_t cols, const Dequantize& how,
                        float* HWY_RESTRICT y, size_t y_stride) {
  const DF df;
  const DI di;
  const size_t N = hn::Lanes(df);
  const float* HWY_RESTRICT col_scale = how.col_scale;
  const int32_t* HWY_RESTRICT col_sum = how.col_sum;
  const float* HWY_RESTRICT bias = how.bias;
  for (size_t r = 0; r < rows; ++r) {
    const int32_t* HWY_RESTRICT a = acc + r * cols;
    float* HWY_RESTRICT out = y + r * y_stride;
    const float rs = how.row_scale[r];
    const int32_t rz = how.row_zero[r];
    const auto vrs = hn::Set(df, rs);
    const auto vrz = hn::Set(di, rz);
    size_t c = 0;
    for (; c + N <= cols; c += N) {
      const auto centred = hn::Sub(hn::LoadU(di, a + c), hn::Mul(vrz, hn::LoadU(di, col_sum + c)));
      const auto scaled = hn::Mul(vrs, hn::LoadU(df, col_scale + c));
      // One rounding for scale and bias: GCC contracted them anyway where it could see both.
      auto v = kBias ? hn::MulAdd(hn::ConvertTo(df, centred), scaled, hn::LoadU(df, bias + c))
                     : hn::Mul(hn::ConvertTo(df, centred), scaled);
      v = Post<kOp>(df, v);
      if constexpr (kAccumulate) v = hn::Add(v, hn::LoadU(df, out + c));
      hn::StoreU(v, df, out + c);
    }
    for (; c < cols; ++c) {
      const float x = static_cast<float>(a[c] - rz * col_sum[c]);
      float v = kBias ? std::fma(x, rs * col_scale[c], bias[c]) : x * (rs * col_scale[c]);
      v = ScalarPost(kOp, v);
      out[c] = kAccumulate ? out[c] + v : v;
    }
  }
}

template <PostOp kOp>
void DequantizeRowsOp(const int32_t* acc, size_t rows, size_t cols, const Dequantize& how, float* y,
                      size_t y_stride) {
  if (how.bias) {
    if (how.accumulate) return DequantizeRowsWith<kOp, true, true>(acc, rows, cols, how, y, y_stride);
    return DequantizeRowsWith<kOp, true, false>(acc, rows, cols, how, y, y_stride);
  }
  if (how.accumulate) return DequantizeRowsWith<kOp, false, true>(acc, rows, cols, how, y, y_stride);
  return DequantizeRowsWith<kOp, false, false>(acc, rows, cols, how, y, y_stride);
}

void DequantizeRows(const int32_t* acc, size_t rows, size_t cols, const Dequantize& how, float* y,
                    size_t y_stride) {
  switch (how.post_op) {
    case PostOp::kNone: return DequantizeRowsOp<PostOp::kNone>(acc, rows, cols, how, y, y_stride);
    case PostOp::kGeluErf: return DequantizeRowsOp<PostOp::kGeluErf>(acc, rows, cols, how, y, y_stride);
    case PostOp::kGeluTanh: return DequantizeRowsOp<PostOp::kGeluTanh>(acc, rows, cols, how, y, y_stride);
    case PostOp::kRelu: return DequantizeRowsOp<PostOp::kRelu>(acc, rows, cols, how, y, y_stride);
    case PostOp::kTanh: return DequantizeRowsOp<PostOp::kTanh>(acc, rows, cols, how, y, y_stride);
  }
}

void LayerNormRows(const float* x, const float* gamma, const float* beta, float* y, size_t rows,
                   size_t cols, float eps) {
  const DF df;
  const size_t N = hn::Lanes(df);
  for (size_t r = 0; r < rows; ++r) {
    const float* in = x + r * cols;
    float* out = y + r * cols;
    // Two passes (mean, then squared deviations): one-pass variance loses digits.
    auto vsum = hn::Zero(df);
    size_t i = 0;
    for (; i + N <= cols; i += N) vsum = hn::Add(vsum, hn::LoadU(df, in + i));
    float sum = hn::GetLane(hn::SumOfLanes(df, vsum));
    for (size_t j = i; j < cols; ++j) sum += in[j];
    const float mean = sum / static_cast<float>(cols);
    const auto vmean = hn::Set(df, mean);
    auto vsq = hn::Zero(df);
    for (i = 0; i + N <= cols; i += N) {
      const auto d = hn::Sub(hn::LoadU(df, in + i), vmean);
      vsq = hn::MulAdd(d, d, vsq);
    }
    float sq = hn::GetLane(hn::SumOfLanes(df, vsq));
    for (size_t j = i; j < cols; ++j) sq += (in[j] - mean) * (in[j] - mean);
    const float inv = 1.f / std::sqrt(sq / static_cast<float>(cols) + eps);
    const auto vinv = hn::Set(df, inv);
    for (i = 0; i + N <= cols; i += N) {
      const auto n = hn::Mul(hn::Sub(hn::LoadU(df, in + i), vmean), vinv);
      hn::StoreU(hn::MulAdd(n, hn::LoadU(df, gamma + i), hn::LoadU(df, beta + i)), df, out + i);
    }
    for (; i < cols; ++i) out[i] = (in[i] - mean) * inv * gamma[i] + beta[i];
  }
}

void SoftmaxRows(float* x, size_t rows, size_t cols) {
  const DF df;
  const size_t N = hn::Lanes(df);
  for (size_t r = 0; r < rows; ++r) {
    float* row = x + r * cols;
    auto vmax = hn::Set(df, row[0]);
    size_t i = 0;
    for (; i + N <= cols; i += N) vmax = hn::Max(vmax, hn::LoadU(df, row + i));
    float max = hn::GetLane(hn::MaxOfLanes(df, vmax));
    for (size_t j = i; j < cols; ++j) max = std::max(max, row[j]);
    const auto vm = hn::Set(df, max), floor = hn::Set(df, kExpFloor);
    auto vsum = hn::Zero(df);
    for (i = 0; i + N <= cols; i += N) {
      const auto e = ExpNonPositive(df, hn::Max(hn::Sub(hn::LoadU(df, row + i), vm), floor));
      vsum = hn::Add(vsum, e);
      hn::StoreU(e, df, row + i);
    }
    float sum = hn::GetLane(hn::SumOfLanes(df, vsum));
    for (; i < cols; ++i) {
      row[i] = std::exp(row[i] - max);
      sum += row[i];
    }
    const auto vinv = hn::Set(df, 1.f / sum);
    for (i = 0; i + N <= cols; i += N) hn::StoreU(hn::Mul(hn::LoadU(df, row + i), vinv), df, row + i);
    for (; i < cols; ++i) row[i] /= sum;
  }
}

// out[c..d) = Σ_j p[j] · v[j * stride + c..d), j < L: four vectors of columns at a time, then
// one, then single columns.
void WeightedRowSum(const float* p, size_t L, const float* v, size_t stride, size_t c, size_t d, float* out) {
  const DF df;
  const size_t N = hn::Lanes(df);
  for (; c + 4 * N <= d; c += 4 * N) {
    auto a0 = hn::Zero(df), a1 = a0, a2 = a0, a3 = a0;
    for (size_t j = 0; j < L; ++j) {
      const float* vj = v + j * stride + c;
      const auto pj = hn::Set(df, p[j]);
      a0 = hn::MulAdd(pj, hn::LoadU(df, vj), a0), a1 = hn::MulAdd(pj, hn::LoadU(df, vj + N), a1);
      a2 = hn::MulAdd(pj, hn::LoadU(df, vj + 2 * N), a2), a3 = hn::MulAdd(pj, hn::LoadU(df, vj + 3 * N), a3);
    }
    hn::StoreU(a0, df, out + c), hn::StoreU(a1, df, out + c + N);
    hn::StoreU(a2, df, out + c + 2 * N), hn::StoreU(a3, df, out + c + 3 * N);
  }
  for (; c + N <= d; c += N) {
    auto a0 = hn::Zero(df);
    for (size_t j = 0; j < L; ++j) a0 = hn::MulAdd(hn::Set(df, p[j]), hn::LoadU(df, v + j * stride + c), a0);
    hn::StoreU(a0, df, out + c);
  }
  for (; c < d; ++c) {
    float acc = 0.f;
    for (size_t j = 0; j < L; ++j) acc += p[j] * v[j * stride + c];
    out[c] = acc;
  }
}

#if HWY_TARGET <= HWY_AVX3
// dst[n * dst_stride + i] = src[i * src_stride + n] for a 16 x 16 tile, through registers: four
// rounds of shuffles (pairs of rows, fours, 128-bit lanes twice) for 256 values, where element
// by element took two memory operations each.
HWY_INLINE void Transpose16x16(const float* src, size_t src_stride, float* dst, size_t dst_stride) {
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * src_stride);
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // r[4g + c], lane l: rows 4g..4g+3 at column 4l + c.
  for (int g = 0; g < 4; ++g) {
    r[4 * g + 0] = _mm512_shuffle_ps(t[4 * g + 0], t[4 * g + 2], 0x44);
    r[4 * g + 1] = _mm512_shuffle_ps(t[4 * g + 0], t[4 * g + 2], 0xEE);
    r[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    r[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
  }
  for (int c = 0; c < 4; ++c) {
    const __m512 a = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88), b = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xDD);
    const __m512 e = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88), f = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xDD);
    _mm512_storeu_ps(dst + (0 + c) * dst_stride, _mm512_shuffle_f32x4(a, e, 0x88));
    _mm512_storeu_ps(dst + (4 + c) * dst_stride, _mm512_shuffle_f32x4(b, f, 0x88));
    _mm512_storeu_ps(dst + (8 + c) * dst_stride, _mm512_shuffle_f32x4(a, e, 0xDD));
    _mm512_storeu_ps(dst + (12 + c) * dst_stride, _mm512_shuffle_f32x4(b, f, 0xDD));
  }
}
#endif

// Keys are transposed first ([head_dim, L], padded to whole vectors with zeros), so that a query
// row's scores come N at a time from broadcast-FMAs, four query rows sharing each key load.
void AttentionHead(const HeadRows& h, size_t L, size_t d, float scale, float* ctx, size_t ctx_stride,
                   float* scratch) {
  const DF df;
  const size_t N = hn::Lanes(df);
  const size_t Lp = (L + N - 1) / N * N;
  float* kt = scratch;         // [d, Lp]
  float* s = scratch + d * Lp;  // [L, Lp]: scores, then probabilities
  size_t full_j = 0, full_t = 0;  // keys and dimensions covered by whole tiles
#if HWY_TARGET <= HWY_AVX3
  full_j = L / 16 * 16, full_t = d / 16 * 16;
  for (size_t j = 0; j < full_j; j += 16) {
    for (size_t t = 0; t < full_t; t += 16) Transpose16x16(h.k + j * h.stride + t, h.stride, kt + t * Lp + j, Lp);
  }
#endif
  for (size_t j = 0; j < L; ++j) {
    const float* k = h.k + j * h.stride;
    for (size_t t = j < full_j ? full_t : 0; t < d; ++t) kt[t * Lp + j] = k[t];
  }
  for (size_t t = 0; t < d; ++t) std::fill(kt + t * Lp + L, kt + (t + 1) * Lp, 0.f);
  // Scores: four query rows by two key blocks at a time, eight independent FMA chains.
  const auto vscale = hn::Set(df, scale);
  const auto score_rows = [&](size_t i, size_t nrows) {
    const float* q[4];
    for (size_t r = 0; r < 4; ++r) q[r] = h.q + (i + std::min(r, nrows - 1)) * h.stride;
    size_t jb = 0;
    for (; jb + 2 * N <= Lp; jb += 2 * N) {
      auto a0 = hn::Zero(df), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      for (size_t t = 0; t < d; ++t) {
        const auto ka = hn::LoadU(df, kt + t * Lp + jb), kb = hn::LoadU(df, kt + t * Lp + jb + N);
        const auto x0 = hn::Set(df, q[0][t]), x1 = hn::Set(df, q[1][t]), x2 = hn::Set(df, q[2][t]),
                   x3 = hn::Set(df, q[3][t]);
        a0 = hn::MulAdd(x0, ka, a0), b0 = hn::MulAdd(x0, kb, b0);
        a1 = hn::MulAdd(x1, ka, a1), b1 = hn::MulAdd(x1, kb, b1);
        a2 = hn::MulAdd(x2, ka, a2), b2 = hn::MulAdd(x2, kb, b2);
        a3 = hn::MulAdd(x3, ka, a3), b3 = hn::MulAdd(x3, kb, b3);
      }
      const decltype(a0) lo[4] = {a0, a1, a2, a3}, hi[4] = {b0, b1, b2, b3};
      for (size_t r = 0; r < nrows; ++r) {
        hn::StoreU(hn::Mul(lo[r], vscale), df, s + (i + r) * Lp + jb);
        hn::StoreU(hn::Mul(hi[r], vscale), df, s + (i + r) * Lp + jb + N);
      }
    }
    for (; jb < Lp; jb += N) {
      auto a0 = hn::Zero(df), a1 = a0, a2 = a0, a3 = a0;
      for (size_t t = 0; t < d; ++t) {
        const auto ka = hn::LoadU(df, kt + t * Lp + jb);
        a0 = hn::MulAdd(hn::Set(df, q[0][t]), ka, a0);
        a1 = hn::MulAdd(hn::Set(df, q[1][t]), ka, a1);
        a2 = hn::MulAdd(hn::Set(df, q[2][t]), ka, a2);
        a3 = hn::MulAdd(hn::Set(df, q[3][t]), ka, a3);
      }
      const decltype(a0) acc[4] = {a0, a1, a2, a3};
      for (size_t r = 0; r < nrows; ++r) hn::StoreU(hn::Mul(acc[r], vscale), df, s + (i + r) * Lp + jb);
    }
  };
  for (size_t i = 0; i < L; i += 4) score_rows(i, std::min<size_t>(4, L - i));
  for (size_t i = 0; i < L; ++i) SoftmaxRows(s + i * Lp, 1, L);
  // Context: two rows by four vectors of v at a time, eight chains; then what is left of d.
  size_t i = 0;
  for (; i < L; i += 2) {
    const size_t nrows = std::min<size_t>(2, L - i);
    const float* p0 = s + i * Lp;
    const float* p1 = s + (i + nrows - 1) * Lp;
    size_t c = 0;
    for (; c + 4 * N <= d; c += 4 * N) {
      auto a0 = hn::Zero(df), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      for (size_t j = 0; j < L; ++j) {
        const float* v = h.v + j * h.stride + c;
        const auto v0 = hn::LoadU(df, v), v1 = hn::LoadU(df, v + N), v2 = hn::LoadU(df, v + 2 * N),
                   v3 = hn::LoadU(df, v + 3 * N);
        const auto x = hn::Set(df, p0[j]), y = hn::Set(df, p1[j]);
        a0 = hn::MulAdd(x, v0, a0), a1 = hn::MulAdd(x, v1, a1), a2 = hn::MulAdd(x, v2, a2), a3 = hn::MulAdd(x, v3, a3);
        b0 = hn::MulAdd(y, v0, b0), b1 = hn::MulAdd(y, v1, b1), b2 = hn::MulAdd(y, v2, b2), b3 = hn::MulAdd(y, v3, b3);
      }
      float* out = ctx + i * ctx_stride + c;
      hn::StoreU(a0, df, out), hn::StoreU(a1, df, out + N), hn::StoreU(a2, df, out + 2 * N), hn::StoreU(a3, df, out + 3 * N);
      if (nrows == 2) {
        out += ctx_stride;
        hn::StoreU(b0, df, out), hn::StoreU(b1, df, out + N), hn::StoreU(b2, df, out + 2 * N), hn::StoreU(b3, df, out + 3 * N);
      }
    }
    for (size_t r = 0; r < nrows; ++r) WeightedRowSum(s + (i + r) * Lp, L, h.v, h.stride, c, d, ctx + (i + r) * ctx_stride);
  }
}

// One query row of one head: scores by vector dot products (four chains over head_dim), the
// softmax, then ctx = Σ p_j · v_j.
void AttentionQueryRow(const HeadRows& h, size_t L, size_t d, float scale, float* ctx, float* scores) {
  const DF df;
  const size_t N = hn::Lanes(df);
  for (size_t j = 0; j < L; ++j) {
    const float* k = h.k + j * h.stride;
    auto a0 = hn::Zero(df), a1 = a0, a2 = a0, a3 = a0;
    size_t t = 0;
    for (; t + 4 * N <= d; t += 4 * N) {
      a0 = hn::MulAdd(hn::LoadU(df, h.q + t), hn::LoadU(df, k + t), a0);
      a1 = hn::MulAdd(hn::LoadU(df, h.q + t + N), hn::LoadU(df, k + t + N), a1);
      a2 = hn::MulAdd(hn::LoadU(df, h.q + t + 2 * N), hn::LoadU(df, k + t + 2 * N), a2);
      a3 = hn::MulAdd(hn::LoadU(df, h.q + t + 3 * N), hn::LoadU(df, k + t + 3 * N), a3);
    }
    for (; t + N <= d; t += N) a0 = hn::MulAdd(hn::LoadU(df, h.q + t), hn::LoadU(df, k + t), a0);
    float dot = hn::GetLane(hn::SumOfLanes(df, hn::Add(hn::Add(a0, a1), hn::Add(a2, a3))));
    for (; t < d; ++t) dot += h.q[t] * k[t];
    scores[j] = dot * scale;
  }
  SoftmaxRows(scores, 1, L);
  WeightedRowSum(scores, L, h.v, h.stride, 0, d, ctx);
}

const char* TargetName() { return hwy::TargetName(HWY_TARGET); }

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace verdict
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "verdict/kernels/parallel.h"

namespace verdict::kernels {

HWY_EXPORT(QuantizeRowsU8);
HWY_EXPORT(QuantizeWeightRowsS8);
HWY_EXPORT(RoundToBf16);
HWY_EXPORT(DequantizeRows);
HWY_EXPORT(LayerNormRows);
HWY_EXPORT(SoftmaxRows);
HWY_EXPORT(AttentionHead);
HWY_EXPORT(AttentionQueryRow);
HWY_EXPORT(TargetName);

void quantize_rows_u8(const float* x, size_t rows, size_t cols, int qmax, uint8_t* q, float* scale,
                      int32_t* zero) {
  HWY_DYNAMIC_DISPATCH(QuantizeRowsU8)(x, rows, cols, qmax, q, scale, zero);
}

void round_to_bf16(const float* x, size_t n, uint16_t* out) { HWY_DYNAMIC_DISPATCH(RoundToBf16)(x, n, out); }

void quantize_weight_rows_s8(const float* w, size_t rows, size_t cols, int8_t* q, float* scale, int32_t* sum) {
  HWY_DYNAMIC_DISPATCH(QuantizeWeightRowsS8)(w, rows, cols, q, scale, sum);
}

void dequantize_rows(const int32_t* acc, size_t rows, size_t cols, const Dequantize& how, float* y,
                     size_t y_stride) {
  HWY_DYNAMIC_DISPATCH(DequantizeRows)(acc, rows, cols, how, y, y_stride);
}

void layer_norm(const float* x, const float* gamma, const float* beta, float* y, size_t rows,
                size_t cols, float eps) {
  // Row-independent and memory-bound: on one core it left the other idle between two products.
  for_rows(rows, cols, [&](size_t b, size_t e) {
    HWY_DYNAMIC_DISPATCH(LayerNormRows)(x + b * cols, gamma, beta, y + b * cols, e - b, cols, eps);
  });
}

void attention_head(const HeadRows& head, size_t seq_len, size_t head_dim, float scale, float* ctx,
                    size_t ctx_stride, float* scratch) {
  HWY_DYNAMIC_DISPATCH(AttentionHead)(head, seq_len, head_dim, scale, ctx, ctx_stride, scratch);
}

void attention_query_row(const HeadRows& head, size_t seq_len, size_t head_dim, float scale, float* ctx,
                         float* scores) {
  HWY_DYNAMIC_DISPATCH(AttentionQueryRow)(head, seq_len, head_dim, scale, ctx, scores);
}

size_t attention_head_scratch(size_t seq_len, size_t head_dim) {
  // Padded to the widest vector any target uses (16 floats).
  const size_t padded = (seq_len + 15) / 16 * 16;
  return (head_dim + seq_len) * padded;
}

void softmax_rows(float* x, size_t rows, size_t cols) {
  HWY_DYNAMIC_DISPATCH(SoftmaxRows)(x, rows, cols);
}

std::vector<std::string> simd_targets() {
  std::vector<std::string> names;
  for (int64_t t : hwy::SupportedAndGeneratedTargets()) names.emplace_back(hwy::TargetName(t));
  return names;
}

bool limit_simd_target(const std::string& name) {
  if (name.empty()) {
    hwy::SetSupportedTargetsForTest(0);
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());
    return true;
  }
  hwy::SetSupportedTargetsForTest(0);
  // Targets are bits, better ones lower; keep `name` and everything worse than it.
  for (int64_t t : hwy::SupportedAndGeneratedTargets()) {
    if (name == hwy::TargetName(t)) {
      hwy::SetSupportedTargetsForTest(hwy::SupportedTargets() & ~(t - 1));
      hwy::GetChosenTarget().Update(hwy::SupportedTargets());
      return true;
    }
  }
  return false;
}

std::string active_simd_target() { return HWY_DYNAMIC_DISPATCH(TargetName)(); }

}  // namespace verdict::kernels
#endif  // HWY_ONCE
