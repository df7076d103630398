#include "verdict/kernels/attention.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "verdict/kernels/attention_head.h"
#include "verdict/kernels/cpu.h"
#include "verdict/kernels/engine.h"
#include "verdict/kernels/softmax.h"
#include "verdict/kernels/vector_ops.h"

namespace verdict::kernels {

using dnnl::memory;

namespace {
constexpr auto RT = DNNL_RUNTIME_DIM_VAL;
memory::dim dim(size_t v) { return static_cast<memory::dim>(v); }
}  // namespace

// Sequences up to this long go through two products for all heads at once (the scores of all
// heads, [H, L, L], are 786 KB at 128 tokens). Longer ones go in tasks of one head and
// this many query rows, whose scores ([rows, L]: 256 KB at 512 tokens) stay in one core's L2
// between the product that writes them, the softmax and the product that reads them: all heads
// at once wrote 12 MB of scores at 512 tokens, and ran at half the speed.
constexpr size_t kQueryBlock = 128;
// A lone sequence up to this long goes head by head through attention_head() (Highway), the
// heads spread over the pool: there oneDNN's gemm:jit calls cost more in set-up than in
// arithmetic (BM_Attention, Zen 4: 16 tokens 41 -> 15 us a layer, 64 tokens 137 -> 107 us).
// Past it, and for whole sequences inside a packed batch's parallel region, oneDNN was faster
// (128 tokens 370 against 410 us; a packed batch of 32 even up to 64 tokens, 20 % slower past).
constexpr size_t kShortSequence = 64;

namespace {
// Grow-only scratch, each thread its own, one buffer per slot: scores (f32), oneDNN's scratchpad,
// and for bf16 products the probabilities and the sequence's q/k/v rounded to bf16.
enum class Slot { kScores, kScratchpad, kProbabilities, kInputs };
template <class T, Slot>
T* thread_buffer(size_t n) {
  thread_local std::vector<T> buffer;
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

// A product that brings its own scratchpad. The sequences of a packed batch run these primitives
// on several threads at once, and oneDNN's library-managed scratchpad is shared between threads
// (brgemm matmuls run that way crashed). Today's gemm:jit products need none, but oneDNN picks
// the kernel, so each thread passes its own buffer whenever one is asked for.
struct Product {
  dnnl::matmul primitive;
  memory::desc scratchpad;

  Product() = default;
  explicit Product(const dnnl::matmul::primitive_desc& pd) : primitive(pd), scratchpad(pd.scratchpad_desc()) {}
  void execute(std::unordered_map<int, memory> args) const {
    if (const size_t bytes = scratchpad.get_size()) {
      auto* buffer = thread_buffer<uint8_t, Slot::kScratchpad>(bytes);
      args.emplace(DNNL_ARG_SCRATCHPAD, memory(scratchpad, cpu_engine(), buffer));
    }
    auto& strm = cpu_stream();
    primitive.execute(strm, args);
    strm.wait();
  }
};
}  // namespace

struct Attention::Impl {
  // All heads: [H, L, d] · [H, d, L] -> [H, L, L], scaled by 1/sqrt(d); then · [H, L, d].
  Product scores, context;
  // One head: q [M, d] · kᵀ [d, L] -> [M, L], scaled; then · v [L, d] -> ctx [M, d].
  Product block_scores, block_context;
  // Type of the products' inputs (q, k, v and the probabilities); scores and context are f32.
  memory::data_type type = memory::data_type::f32;
  size_t type_size() const { return type == memory::data_type::bf16 ? sizeof(uint16_t) : sizeof(float); }
};

Attention::Attention(size_t num_heads, size_t head_dim, Precision products)
    : impl_(std::make_unique<Impl>()), heads_(num_heads), head_dim_(head_dim) {
  using dt = memory::data_type;
  if (products == Precision::kInt8) throw std::invalid_argument("Attention: products are fp32 or bf16");
  const bool bf16 = products == Precision::kBF16;
  impl_->type = bf16 ? dt::bf16 : dt::f32;
  const dt t = impl_->type;
  const auto H = dim(num_heads), d = dim(head_dim), D = H * d;
  dnnl::primitive_attr plain, scaled;
  plain.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  scaled.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  scaled.set_output_scales(0, {1.0f / std::sqrt(static_cast<float>(head_dim))});
  const auto matmul = [&](const memory::desc& a, const memory::desc& b, const memory::desc& c,
                          const dnnl::primitive_attr& attr) {
    return Product(dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, b, c), attr, cpu_engine()));
  };
  // Run-time lengths (and block rows): one pair of primitives serves every sequence.
  impl_->scores = matmul({{H, RT, d}, t, {d, 3 * D, 1}}, {{H, d, RT}, t, {d, 1, 3 * D}},
                         {{H, RT, RT}, dt::f32, {RT, RT, 1}}, scaled);
  impl_->context = matmul({{H, RT, RT}, t, {RT, RT, 1}}, {{H, RT, d}, t, {d, 3 * D, 1}},
                          {{H, RT, d}, dt::f32, {d, D, 1}}, plain);
  impl_->block_scores =
      matmul({{RT, d}, t, {3 * D, 1}}, {{d, RT}, t, {1, 3 * D}}, {{RT, RT}, dt::f32, {RT, 1}}, scaled);
  impl_->block_context =
      matmul({{RT, RT}, t, {RT, 1}}, {{RT, d}, t, {3 * D, 1}}, {{RT, d}, dt::f32, {D, 1}}, plain);
}

Attention::~Attention() = default;
Attention::Attention(Attention&&) noexcept = default;
Attention& Attention::operator=(Attention&&) noexcept = default;

namespace {
// s = q · kᵀ (scaled by the primitive), softmax over each of its `rows` rows, c = s · v (with
// the probabilities rounded to bf16 first when the products take bf16).
void attend(const Product& scores, const Product& context, const memory& q, const memory& kt, const memory& v,
            const memory& s, const memory& c, size_t rows, size_t seq_len) {
  scores.execute({{DNNL_ARG_SRC, q}, {DNNL_ARG_WEIGHTS, kt}, {DNNL_ARG_DST, s}});
  auto* probabilities = static_cast<float*>(s.get_data_handle());
  softmax_rows(probabilities, rows, seq_len);
  memory p = s;
  if (q.get_desc().data_type() == memory::data_type::bf16) {
    uint16_t* rounded = thread_buffer<uint16_t, Slot::kProbabilities>(rows * seq_len);
    round_to_bf16(probabilities, rows * seq_len, rounded);
    const auto dims = s.get_desc().dims();  // dense, row-major like s
    const auto tag = dims.size() == 3 ? memory::format_tag::abc : memory::format_tag::ab;
    p = memory(memory::desc(dims, memory::data_type::bf16, tag), cpu_engine(), rounded);
  }
  context.execute({{DNNL_ARG_SRC, p}, {DNNL_ARG_WEIGHTS, v}, {DNNL_ARG_DST, c}});
}
}  // namespace

const void* Attention::products_input(const float* qkv, size_t seq_len) const {
  if (impl_->type == memory::data_type::f32) return qkv;
  const size_t n = seq_len * 3 * heads_ * head_dim_;
  uint16_t* rounded = thread_buffer<uint16_t, Slot::kInputs>(n);
  round_to_bf16(qkv, n, rounded);
  return rounded;
}

void Attention::attend_all_heads(const void* qkv, size_t seq_len, float* ctx) const {
  auto& eng = cpu_engine();
  const auto H = dim(heads_), d = dim(head_dim_), D = H * d, L = dim(seq_len);
  const auto t = impl_->type;
  auto* base = static_cast<char*>(const_cast<void*>(qkv));
  const size_t es = impl_->type_size();
  memory q({{H, L, d}, t, {d, 3 * D, 1}}, eng, base);
  memory kt({{H, d, L}, t, {d, 1, 3 * D}}, eng, base + D * es);
  memory v({{H, L, d}, t, {d, 3 * D, 1}}, eng, base + 2 * D * es);
  memory s({{H, L, L}, memory::data_type::f32, {L * L, L, 1}}, eng,
           thread_buffer<float, Slot::kScores>(heads_ * seq_len * seq_len));
  memory c({{H, L, d}, memory::data_type::f32, {d, D, 1}}, eng, ctx);
  attend(impl_->scores, impl_->context, q, kt, v, s, c, heads_ * seq_len, seq_len);
}

void Attention::attend_block(const void* qkv, size_t seq_len, size_t head, size_t row0, size_t rows,
                             float* ctx) const {
  auto& eng = cpu_engine();
  const auto d = dim(head_dim_), D = dim(heads_ * head_dim_), L = dim(seq_len), M = dim(rows);
  const auto t = impl_->type;
  const size_t es = impl_->type_size();
  auto* base = static_cast<char*>(const_cast<void*>(qkv)) + head * head_dim_ * es;
  memory q({{M, d}, t, {3 * D, 1}}, eng, base + row0 * 3 * D * es);
  memory kt({{d, L}, t, {1, 3 * D}}, eng, base + D * es);
  memory v({{L, d}, t, {3 * D, 1}}, eng, base + 2 * D * es);
  memory s({{M, L}, memory::data_type::f32, {L, 1}}, eng, thread_buffer<float, Slot::kScores>(rows * seq_len));
  memory c({{M, d}, memory::data_type::f32, {D, 1}}, eng, ctx + row0 * D + head * head_dim_);
  attend(impl_->block_scores, impl_->block_context, q, kt, v, s, c, rows, seq_len);
}

void Attention::attend_head(const float* qkv, size_t seq_len, size_t head, float* ctx) const {
  const size_t d = head_dim_, D = heads_ * head_dim_;
  const HeadRows rows{qkv + head * d, qkv + D + head * d, qkv + 2 * D + head * d, 3 * D};
  attention_head(rows, seq_len, d, 1.0f / std::sqrt(static_cast<float>(d)), ctx + head * d, D,
                 thread_buffer<float, Slot::kScores>(attention_head_scratch(seq_len, d)));
}

namespace {
// task(0..n-1) spread over the pool, one at a time to whichever thread is free; in turn on this
// thread inside a parallel region or with one thread.
template <class Task>
void run_tasks(size_t n, Task&& task) {
  const size_t threads = std::min(num_threads(), n);
  if (threads <= 1 || omp_in_parallel()) {
    for (size_t t = 0; t < n; ++t) task(t);
    return;
  }
#pragma omp parallel for num_threads(static_cast<int>(threads)) schedule(dynamic, 1)
  for (size_t t = 0; t < n; ++t) task(t);
}
}  // namespace

void Attention::forward(const float* qkv, size_t seq_len, float* ctx) const {
  if (seq_len == 0) return;
  // Inside a parallel region (a packed batch gives each thread whole sequences) a sequence of up
  // to kQueryBlock tokens takes the all-heads products, which then run on this thread alone.
  if (seq_len <= kQueryBlock && omp_in_parallel()) {
    attend_all_heads(products_input(qkv, seq_len), seq_len, ctx);
    return;
  }
  if (seq_len <= kShortSequence) {
    run_tasks(heads_, [&](size_t h) { attend_head(qkv, seq_len, h, ctx); });
    return;
  }
  const size_t blocks = (seq_len + kQueryBlock - 1) / kQueryBlock;
  const void* input = products_input(qkv, seq_len);  // this thread's, read by every task
  run_tasks(heads_ * blocks, [&](size_t t) {
    const size_t head = t % heads_, row0 = t / heads_ * kQueryBlock;
    attend_block(input, seq_len, head, row0, std::min(kQueryBlock, seq_len - row0), ctx);
  });
}

void Attention::forward_packed(const float* qkv, const uint32_t* cu, size_t batch, float* ctx) const {
  const size_t D = heads_ * head_dim_;
  const auto one = [&](size_t b) { forward(qkv + cu[b] * 3 * D, cu[b + 1] - cu[b], ctx + cu[b] * D); };
  const size_t threads = num_threads();
  // With fewer sequences than two per thread, whole sequences would leave cores idle: spread
  // each sequence's heads over the pool instead.
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

void Attention::attend_first_tokens(const float* q, const float* qkv, const uint32_t* cu, size_t batch,
                                    float* ctx) const {
  const size_t d = head_dim_, D = heads_ * head_dim_;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const auto one = [&](size_t task) {
    const size_t b = task / heads_, h = task % heads_;
    const float* rows = qkv + static_cast<size_t>(cu[b]) * 3 * D + h * d;
    const size_t L = cu[b + 1] - cu[b];
    const HeadRows head{q + b * D + h * d, rows + D, rows + 2 * D, 3 * D};
    attention_query_row(head, L, d, scale, ctx + b * D + h * d, thread_buffer<float, Slot::kScores>(L));
  };
  // One token's attention is ~L * 2 * hidden multiply-adds: fork only for a batch's worth
  // (run_tasks itself runs inline inside a parallel region).
  if (static_cast<size_t>(cu[batch] - cu[0]) * D < (1u << 15)) {
    for (size_t t = 0; t < batch * heads_; ++t) one(t);
    return;
  }
  run_tasks(batch * heads_, one);
}

}  // namespace verdict::kernels
