#include "verdict/kernels/attention.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "verdict/kernels/cpu.h"
#include "verdict/kernels/engine.h"
#include "verdict/kernels/softmax.h"

namespace verdict::kernels {

using dnnl::memory;

namespace {
constexpr auto RT = DNNL_RUNTIME_DIM_VAL;
memory::dim dim(size_t v) { return static_cast<memory::dim>(v); }
}  // namespace

struct Attention::Impl {
  dnnl::matmul scores;   // [H, L, d] · [H, d, L] -> [H, L, L], scaled by 1/sqrt(d)
  dnnl::matmul context;  // [H, L, L] · [H, L, d] -> [H, L, d]
};

Attention::Attention(size_t num_heads, size_t head_dim)
    : impl_(std::make_unique<Impl>()), heads_(num_heads), head_dim_(head_dim) {
  const auto H = dim(num_heads), d = dim(head_dim), D = H * d;
  // Run-time sequence length: one pair of primitives serves every length.
  const memory::desc q({H, RT, d}, memory::data_type::f32, {d, 3 * D, 1});
  const memory::desc kt({H, d, RT}, memory::data_type::f32, {d, 1, 3 * D});
  const memory::desc s({H, RT, RT}, memory::data_type::f32, {RT, RT, 1});
  const memory::desc v({H, RT, d}, memory::data_type::f32, {d, 3 * D, 1});
  const memory::desc c({H, RT, d}, memory::data_type::f32, {d, D, 1});
  dnnl::primitive_attr scaled;
  scaled.set_output_scales(0, {1.0f / std::sqrt(static_cast<float>(head_dim))});
  impl_->scores = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(q, kt, s), scaled, cpu_engine()));
  impl_->context = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(s, v, c), cpu_engine()));
}

Attention::~Attention() = default;
Attention::Attention(Attention&&) noexcept = default;
Attention& Attention::operator=(Attention&&) noexcept = default;

void Attention::forward(const float* qkv, size_t seq_len, float* ctx, float* scores) const {
  if (seq_len == 0) return;
  auto& eng = cpu_engine();
  auto& strm = cpu_stream();
  const auto H = dim(heads_), d = dim(head_dim_), D = H * d, L = dim(seq_len);
  float* base = const_cast<float*>(qkv);
  memory q({{H, L, d}, memory::data_type::f32, {d, 3 * D, 1}}, eng, base);
  memory kt({{H, d, L}, memory::data_type::f32, {d, 1, 3 * D}}, eng, base + D);
  memory v({{H, L, d}, memory::data_type::f32, {d, 3 * D, 1}}, eng, base + 2 * D);
  memory s({{H, L, L}, memory::data_type::f32, {L * L, L, 1}}, eng, scores);
  memory c({{H, L, d}, memory::data_type::f32, {d, D, 1}}, eng, ctx);
  impl_->scores.execute(strm, {{DNNL_ARG_SRC, q}, {DNNL_ARG_WEIGHTS, kt}, {DNNL_ARG_DST, s}});
  strm.wait();
  softmax_rows(scores, heads_ * seq_len, seq_len);
  impl_->context.execute(strm, {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, v}, {DNNL_ARG_DST, c}});
  strm.wait();
}

void Attention::forward_packed(const float* qkv, const uint32_t* cu, size_t batch, float* ctx) const {
  const size_t D = heads_ * head_dim_;
  const auto one = [&](size_t b) {
    const size_t start = cu[b], len = cu[b + 1] - cu[b];
    thread_local std::vector<float> scores;  // each thread its own, grow-only
    if (scores.size() < scratch_floats(len)) scores.resize(scratch_floats(len));
    forward(qkv + start * 3 * D, len, ctx + start * D, scores.data());
  };
  const size_t threads = num_threads();
  // With fewer sequences than two per thread, whole sequences would leave cores idle: let each
  // sequence's products use the pool instead.
  if (threads <= 1 || batch < 2 * threads || omp_in_parallel()) {
    for (size_t b = 0; b < batch; ++b) one(b);
    return;
  }
  thread_local std::vector<uint32_t> order;
  order.resize(batch);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return cu[a + 1] - cu[a] > cu[b + 1] - cu[b]; });
  const uint32_t* longest_first = order.data();  // this thread's, not each worker's own
#pragma omp parallel for num_threads(static_cast<int>(threads)) schedule(dynamic, 1)
  for (size_t i = 0; i < batch; ++i) one(longest_first[i]);
}

void Attention::attend_one(const float* q, const float* kv, size_t kv_stride, size_t seq_len, float* ctx,
                           float* scores) const {
  const size_t d = head_dim_, D = heads_ * head_dim_;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  for (size_t h = 0; h < heads_; ++h) {
    const float* qh = q + h * d;
    for (size_t j = 0; j < seq_len; ++j) {
      const float* k = kv + j * kv_stride + h * d;
      float dot = 0.f;
      for (size_t t = 0; t < d; ++t) dot += qh[t] * k[t];
      scores[j] = dot * scale;
    }
    softmax_rows(scores, 1, seq_len);
    float* out = ctx + h * d;
    std::fill(out, out + d, 0.f);
    for (size_t j = 0; j < seq_len; ++j) {
      const float* v = kv + j * kv_stride + D + h * d;
      const float p = scores[j];
      for (size_t t = 0; t < d; ++t) out[t] += p * v[t];
    }
  }
}

}  // namespace verdict::kernels
