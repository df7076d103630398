// Row-wise kernels vectorised with Highway; the widest SIMD target the CPU
// supports is chosen at run time (AVX-512, AVX2, SSE4, ... down to scalar).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "verdict/kernels/linear.h"

namespace verdict::kernels {

// Per-row asymmetric quantisation of x [rows, cols] to q in [0, qmax]:
// x ≈ scale[r] * (q - zero[r]). The range always includes 0, so zeros stay exact.
void quantize_rows_u8(const float* x, size_t rows, size_t cols, int qmax, uint8_t* q, float* scale,
                      int32_t* zero);

// x rounded to bfloat16 (nearest, ties to even; NaN stays a quiet NaN), as raw bits.
void round_to_bf16(const float* x, size_t n, uint16_t* out);

// Per-row symmetric quantisation of weights w [rows, cols]: w ≈ scale[r] * q, q in [-127, 127]
// (round half to even), sum[r] = Σ q[r, :] (the zero-point correction of the product).
void quantize_weight_rows_s8(const float* w, size_t rows, size_t cols, int8_t* q, float* scale, int32_t* sum);

// The epilogue of an int8 matmul: y[r, c] = post(row_scale[r] * col_scale[c] *
// (acc[r, c] - row_zero[r] * col_sum[c]) + bias[c]), added to y when accumulate.
struct Dequantize {
  const float* row_scale;
  const int32_t* row_zero;
  const float* col_scale;
  const int32_t* col_sum;
  const float* bias;  // may be null
  PostOp post_op = PostOp::kNone;
  bool accumulate = false;
};
void dequantize_rows(const int32_t* acc, size_t rows, size_t cols, const Dequantize& how, float* y,
                     size_t y_stride);

// layer_norm() and softmax_rows() (their own headers) are vectorised here too.

// The Highway targets compiled in and usable on this CPU, best first (e.g. "AVX2", "SSE4").
std::vector<std::string> simd_targets();
// Restricts the vector kernels to targets no better than `name` ("AVX2", "SSE4", "EMU128"...);
// tests use it to cover the fallback paths. Empty name: no restriction.
bool limit_simd_target(const std::string& name);
std::string active_simd_target();

}  // namespace verdict::kernels
