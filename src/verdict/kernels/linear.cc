#include "verdict/kernels/linear.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "verdict/common/huge_pages.h"
#include "verdict/kernels/cpu.h"
#include "verdict/kernels/engine.h"
#include "verdict/kernels/parallel.h"
#include "verdict/kernels/row_tasks.h"
#include "verdict/kernels/vector_ops.h"

namespace verdict::kernels {

using dnnl::memory;
using dt = memory::data_type;

std::string_view precision_name(Precision p) {
  switch (p) {
    case Precision::kF32: return "fp32";
    case Precision::kBF16: return "bf16";
    case Precision::kInt8: return "int8";
  }
  return "fp32";
}

Result<Precision> parse_precision(std::string_view name) {
  if (name == "fp32" || name == "f32" || name == "float32") return Precision::kF32;
  if (name == "bf16" || name == "bfloat16") return Precision::kBF16;
  if (name == "int8" || name == "i8") return Precision::kInt8;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown dtype '" + std::string(name) + "'; known: fp32, bf16, int8, auto");
}

namespace {

bool isa_is_one_of(std::initializer_list<const char*> names) {
  const std::string isa = effective_isa();
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return isa == n; });
}

// Without VNNI, x86 int8 dot products go through vpmaddubsw, whose 16-bit pair sums saturate
// unless u8 × s8 pairs stay below 2^15: activations then use 7 bits (as fbgemm's reduce_range).
int activation_qmax() {
  return isa_is_one_of({"avx2_vnni", "avx512_core_vnni", "avx512_core_bf16", "avx512_core_amx"}) ? 255 : 127;
}

memory::dim dim(size_t v) { return static_cast<memory::dim>(v); }

// Rows per call of the per-row-count routes (below): kSmallCallRows and fewer each get their own
// primitive, made once on first use; larger inputs go in calls of kBigCallRows rows, so that a
// packed batch of 2000 tokens costs 9 forks of the pool rather than 33.
constexpr size_t kSmallCallRows = 64;
constexpr size_t kBigCallRows = 256;

// How a layer's product reaches oneDNN's kernels.
//  kMatmul:     one matmul with run-time rows, for every batch shape.
//  kConvRows:   a 1x1 convolution over a [rows x 1] "image" in NHWC, one primitive per row count:
//               src [rows, K] and dst [rows, N] row-major are exactly NHWC, and oneDNN packs the
//               weights once for its JIT kernel. Where oneDNN's matmul is plain gemm:jit (AVX2:
//               f32, and int8 without VNNI), which re-packs the weights on every call, this
//               measured faster at every row count: int8 3.5x (1 row), 1.6x (8), 1.25x (32),
//               equal from 64; f32 1.6x (8), 1.3x (32-256).
//  kMatmulRows: a matmul with fixed rows, one primitive per row count. oneDNN 2.6 runs its
//               blocked brgemm kernels (AVX-512, VNNI, AVX512-BF16, AMX) only for fixed shapes;
//               with run-time rows it falls back to gemm:jit, and its 1x1 convolution there
//               wants a different weight blocking at 64 rows and up.
enum class Route { kMatmul, kConvRows, kMatmulRows };

struct RowsTypes {
  dt src, dst;
  bool bias;
};
dt weight_type(dt src) { return src == dt::u8 ? dt::s8 : src; }

// The product of `rows` rows on a per-row-count route; weights: the packed layout, or a zero
// desc for "let oneDNN choose".
dnnl::primitive_desc rows_pd(Route route, memory::dim rows, memory::dim K, memory::dim N, const RowsTypes& types,
                             const memory::desc& weights, const dnnl::primitive_attr& attr) {
  using tag = memory::format_tag;
  const auto kind = dnnl::prop_kind::forward_inference;
  const dt wt = weight_type(types.src);
  if (route == Route::kConvRows) {
    const memory::desc src({1, K, rows, 1}, types.src, tag::nhwc);
    const memory::desc wei = weights.is_zero() ? memory::desc({N, K, 1, 1}, wt, tag::any) : weights;
    const memory::desc dst({1, N, rows, 1}, types.dst, tag::nhwc);
    const auto algo = dnnl::algorithm::convolution_direct;
    const auto desc =
        types.bias ? dnnl::convolution_forward::desc(kind, algo, src, wei, memory::desc({N}, dt::f32, tag::x), dst,
                                                     {1, 1}, {0, 0}, {0, 0})
                   : dnnl::convolution_forward::desc(kind, algo, src, wei, dst, {1, 1}, {0, 0}, {0, 0});
    return dnnl::convolution_forward::primitive_desc(desc, attr, cpu_engine());
  }
  const memory::desc src({rows, K}, types.src, {K, 1});
  const memory::desc wei = weights.is_zero() ? memory::desc({K, N}, wt, tag::any) : weights;
  const memory::desc dst({rows, N}, types.dst, {N, 1});
  const auto desc = types.bias ? dnnl::matmul::desc(src, wei, memory::desc({1, N}, dt::f32, {N, 1}), dst)
                               : dnnl::matmul::desc(src, wei, dst);
  return dnnl::matmul::primitive_desc(desc, attr, cpu_engine());
}

// The weights as PyTorch holds them ([N, K] row-major), described for the route's primitive.
memory::desc plain_weights(Route route, memory::dim K, memory::dim N, dt type) {
  if (route == Route::kConvRows) return memory::desc({N, K, 1, 1}, type, memory::format_tag::oihw);
  return memory::desc({K, N}, type, {1, K});
}

bool impl_is(const dnnl::primitive_desc_base& pd, std::string_view prefix) {
  return std::string_view(pd.impl_info_str()).rfind(prefix, 0) == 0;
}

// VERDICT_MATMUL_ONLY=1 keeps every layer on oneDNN's matmul with run-time rows: a diagnostic
// switch, and how the tests cover that route on CPUs that take another.
bool matmul_only() {
  static const bool only = [] {
    const char* v = std::getenv("VERDICT_MATMUL_ONLY");
    return v && *v && std::string_view(v) != "0";
  }();
  return only;
}

// A precision's activation and accumulator types.
RowsTypes types_of(Precision p) {
  switch (p) {
    case Precision::kF32: return {dt::f32, dt::f32, false};
    case Precision::kBF16: return {dt::bf16, dt::f32, false};
    case Precision::kInt8: return {dt::u8, dt::s32, false};
  }
  return {dt::f32, dt::f32, false};
}

// Small shapes that show which kernel oneDNN picks for a route.
constexpr memory::dim kProbe = 64;
dnnl::primitive_desc probe_rows_pd(Route route, const RowsTypes& types) {
  return rows_pd(route, 32, kProbe, kProbe, types, {}, {});
}
dnnl::matmul::primitive_desc probe_runtime_rows_pd(const RowsTypes& types) {
  const memory::desc s({DNNL_RUNTIME_DIM_VAL, kProbe}, types.src, {kProbe, 1});
  const memory::desc w({kProbe, kProbe}, weight_type(types.src), memory::format_tag::any);
  const memory::desc d({DNNL_RUNTIME_DIM_VAL, kProbe}, types.dst, {DNNL_RUNTIME_DIM_VAL, 1});
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(s, w, d), cpu_engine());
}

Route choose_route(Precision p) {
  const RowsTypes types = types_of(p);
  if (impl_is(probe_rows_pd(Route::kMatmulRows, types), "brg")) return Route::kMatmulRows;
  if (p == Precision::kBF16) return Route::kMatmul;
  return impl_is(probe_runtime_rows_pd(types), "gemm:") ? Route::kConvRows : Route::kMatmul;
}

// Chosen once per process and precision, after any ISA cap.
Route route_for(Precision p) {
  if (matmul_only()) return Route::kMatmul;
  switch (p) {
    case Precision::kF32: {
      static const Route r = choose_route(p);
      return r;
    }
    case Precision::kBF16: {
      static const Route r = choose_route(p);
      return r;
    }
    case Precision::kInt8: {
      static const Route r = choose_route(p);
      return r;
    }
  }
  return Route::kMatmul;
}

// Thread-local, grow-only scratch, one buffer per (type, slot): no allocation on the hot path
// once warmed up.
enum Slot { kQuantized, kRowScale, kRowZero, kAccumulator, kBf16Input, kStridedOutput, kTaskScratchpad };
template <class T, Slot>
T* scratch(size_t n) {
  thread_local HugePageVector<T> buffer;
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

dnnl::post_ops make_post_ops(PostOp post_op, bool accumulate) {
  dnnl::post_ops ops;
  switch (post_op) {
    case PostOp::kNone: break;
    case PostOp::kGeluErf: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_gelu_erf, 0.f, 0.f); break;
    case PostOp::kGeluTanh: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_gelu_tanh, 0.f, 0.f); break;
    case PostOp::kRelu: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f); break;
    case PostOp::kTanh: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_tanh, 0.f, 0.f); break;
  }
  if (accumulate) ops.append_sum(1.f);
  return ops;
}


}  // namespace

bool Linear::copies_weights(Precision precision) {
  return precision != Precision::kF32 || route_for(precision) != Route::kMatmul;
}

Status precision_supported(Precision p) {
  switch (p) {
    case Precision::kF32:
    case Precision::kInt8: return {};
    case Precision::kBF16:
      if (isa_is_one_of({"avx512_core_bf16", "avx512_core_amx"})) return {};
      return make_error(ErrorCode::kUnsupported, "dtype bf16 needs a CPU with AVX512-BF16 or AMX; this one offers " +
                                                     effective_isa() + " (use fp32 or int8)");
  }
  return {};
}

int int8_activation_bits() { return activation_qmax() == 255 ? 8 : 7; }

std::string kernel_route(Precision p) {
  if (!precision_supported(p).ok()) return "unsupported";
  const Route r = route_for(p);
  if (r == Route::kMatmul) return std::string("matmul, run-time rows (") + probe_runtime_rows_pd(types_of(p)).impl_info_str() + ")";
  return std::string(r == Route::kConvRows ? "1x1 convolution" : "matmul") + " per row count (" +
         probe_rows_pd(r, types_of(p)).impl_info_str() + ")";
}

struct Linear::Impl {
  dnnl::matmul primitive;
  memory::desc weight_md, bias_md;
  const float* weight = nullptr;  // kF32: the caller's
  const float* bias = nullptr;
  PostOp post_op = PostOp::kNone;
  bool accumulate = false;
  // kBF16 / kInt8: converted weights in the primitive's preferred layout.
  HugePageBuffer packed;  // streamed on every call: huge pages spare the TLB
  // kInt8
  std::vector<float> col_scale, bias_copy;
  std::vector<int32_t> col_sum;
  int qmax = 127;
  // The per-row-count routes: one primitive per row count 1..kSmallCallRows and kBigCallRows,
  // made on first use, all reading the weights packed once (weight_md).
  Route route = Route::kMatmul;
  RowsTypes rows_types{};
  dnnl::primitive_attr rows_attr;
  // Memory objects and arguments are made once with the primitive; a call only points src and
  // dst at its rows. Building them for each of a pass's ~30 calls was serial time on the main
  // thread while the pool's other thread waited.
  struct RowsCall {
    dnnl::primitive primitive;
    memory src, dst;
    std::unordered_map<int, memory> args;
  };
  std::vector<std::optional<RowsCall>> by_rows;  // [m - 1]; the last: kBigCallRows

  // kInt8 on kMatmulRows: single-threaded primitives for products of 1..kTaskRows rows on one
  // thread (row tasks, or a caller's parallel region), made on first use by whichever thread
  // needs one; each thread its own memory objects and arguments.
  struct TaskCall {
    dnnl::primitive primitive;
    memory::desc scratchpad;
    struct Args {
      memory src, dst;
      std::unordered_map<int, memory> args;
    };
    std::deque<std::optional<Args>> by_thread;  // grows at the end without moving what others hold
  };
  std::vector<std::optional<TaskCall>> by_task_rows;  // [m - 1]
  std::mutex task_calls_mutex;

  bool on_rows_route() const { return route != Route::kMatmul; }
  bool runs_tasks() const { return route == Route::kMatmulRows && rows_types.src == dt::u8; }

  // Packs `weights` ([N, K] row-major, f32 or s8, converted by the reorder) for `r`; false,
  // doing nothing, if oneDNN has only its reference kernel for the shape.
  bool pack_for_rows(Route r, const void* weights, dt weights_type, memory::dim K, memory::dim N, RowsTypes types,
                     dnnl::primitive_attr attr) {
    const auto pd = rows_pd(r, dim(kSmallCallRows), K, N, types, {}, attr);
    if (impl_is(pd, "ref")) return false;
    route = r;
    rows_types = types;
    rows_attr = std::move(attr);
    by_rows.resize(kSmallCallRows + 1);
    by_task_rows.resize(kTaskRows);
    weight_md = pd.weights_desc(0);
    packed = HugePageBuffer(weight_md.get_size());
    memory from(plain_weights(r, K, N, weights_type), cpu_engine(), const_cast<void*>(weights));
    memory to(weight_md, cpu_engine(), packed.data());
    dnnl::reorder(from, to).execute(cpu_stream(), from, to);
    cpu_stream().wait();
    return true;
  }

  const RowsCall& call_for(size_t m, memory::dim K, memory::dim N) {
    auto& call = by_rows[m == kBigCallRows ? kSmallCallRows : m - 1];
    if (!call) {
      auto pd = rows_pd(route, dim(m), K, N, rows_types, {}, rows_attr);
      // Some row counts prefer another blocking (brgconv on AVX-512 from 64 rows): ask for the
      // one the weights were packed in.
      if (pd.weights_desc(0) != weight_md) pd = rows_pd(route, dim(m), K, N, rows_types, weight_md, rows_attr);
      auto& eng = cpu_engine();
      memory src(pd.src_desc(0), eng, nullptr), dst(pd.dst_desc(0), eng, nullptr);
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src},
                                           {DNNL_ARG_WEIGHTS, memory(weight_md, eng, static_cast<void*>(packed.data()))},
                                           {DNNL_ARG_DST, dst}};
      if (rows_types.bias) args.emplace(DNNL_ARG_BIAS, memory(pd.weights_desc(1), eng, const_cast<float*>(bias)));
      call.emplace(RowsCall{dnnl::primitive(pd), src, dst, std::move(args)});
    }
    return *call;
  }

  // This thread's arguments for a single-threaded product of m rows.
  TaskCall::Args& task_args_for(size_t m, memory::dim K, memory::dim N) {
    const auto thread = static_cast<size_t>(omp_get_thread_num());
    std::lock_guard<std::mutex> lock(task_calls_mutex);  // uncontended but for first uses
    auto& call = by_task_rows[m - 1];
    if (!call) {
      // oneDNN partitions a primitive for the threads it sees when it is made: one. (The
      // setting is this thread's own, and put back at once.)
      const int threads = omp_get_max_threads();
      omp_set_num_threads(1);
      dnnl::primitive_attr attr;  // int8 products have no post-ops
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);  // the library's is not per thread
      const auto pd = rows_pd(route, dim(m), K, N, rows_types, weight_md, attr);
      call.emplace(TaskCall{dnnl::primitive(pd), pd.scratchpad_desc(), {}});
      omp_set_num_threads(threads);
    }
    if (call->by_thread.size() <= thread) call->by_thread.resize(thread + 1);
    auto& args = call->by_thread[thread];
    if (!args) {
      auto& eng = cpu_engine();
      const memory::desc src({dim(m), K}, dt::u8, {K, 1}), dst({dim(m), N}, dt::s32, {N, 1});
      memory s(src, eng, nullptr), d(dst, eng, nullptr);
      args.emplace(TaskCall::Args{s, d, {{DNNL_ARG_SRC, s}, {DNNL_ARG_DST, d},
                                         {DNNL_ARG_WEIGHTS, memory(weight_md, eng, static_cast<void*>(packed.data()))}}});
      if (call->scratchpad.get_size() > 0) {
        args->args.emplace(DNNL_ARG_SCRATCHPAD,
                           memory(call->scratchpad, eng, scratch<uint8_t, kTaskScratchpad>(call->scratchpad.get_size())));
      }
    }
    return *args;
  }

  const dnnl::primitive& task_primitive(size_t m) const { return by_task_rows[m - 1]->primitive; }
};

Linear::Linear(const float* weight, const float* bias, size_t out_features, size_t in_features,
               PostOp post_op, bool accumulate, Precision precision, WeightUse use)
    : impl_(std::make_unique<Impl>()), out_(out_features), in_(in_features), precision_(precision) {
  const auto K = dim(in_features), N = dim(out_features);
  auto& eng = cpu_engine();
  impl_->post_op = post_op;
  impl_->accumulate = accumulate;
  impl_->bias = bias;
  impl_->bias_md = memory::desc({1, N}, dt::f32, {N, 1});
  const memory::desc plain_f32({K, N}, dt::f32, {1, K});  // Wᵀ view of PyTorch's [N, K]
  // Layers that pack their weights may outlive the caller's bias too.
  const auto keep_bias_copy = [&] {
    if (!bias) return;
    impl_->bias_copy.assign(bias, bias + out_features);
    impl_->bias = impl_->bias_copy.data();
  };
  // M (rows) is a run-time dimension, so one primitive serves every batch shape.
  const auto src_md = [&](dt type) { return memory::desc({DNNL_RUNTIME_DIM_VAL, K}, type, {K, 1}); };
  const auto dst_md = [&](dt type) {
    return memory::desc({DNNL_RUNTIME_DIM_VAL, N}, type, {DNNL_RUNTIME_DIM_VAL, 1});
  };

  if (precision == Precision::kF32) {
    dnnl::primitive_attr attr;
    attr.set_post_ops(make_post_ops(post_op, accumulate));
    const Route r = route_for(precision);
    if (use == WeightUse::kBest && r != Route::kMatmul &&
        impl_->pack_for_rows(r, weight, dt::f32, K, N, {dt::f32, dt::f32, bias != nullptr}, attr)) {
      keep_bias_copy();
      return;
    }
    impl_->weight_md = plain_f32;
    const auto desc = bias ? dnnl::matmul::desc(src_md(dt::f32), plain_f32, impl_->bias_md, dst_md(dt::f32))
                           : dnnl::matmul::desc(src_md(dt::f32), plain_f32, dst_md(dt::f32));
    impl_->primitive = dnnl::matmul(dnnl::matmul::primitive_desc(desc, attr, eng));
    impl_->weight = weight;
    return;
  }

  const memory::desc any_weights({K, N}, precision == Precision::kInt8 ? dt::s8 : dt::bf16,
                                 memory::format_tag::any);
  dnnl::matmul::primitive_desc pd;
  if (precision == Precision::kBF16) {
    dnnl::primitive_attr attr;
    attr.set_post_ops(make_post_ops(post_op, accumulate));
    keep_bias_copy();
    const Route r = route_for(precision);
    if (r != Route::kMatmul && impl_->pack_for_rows(r, weight, dt::f32, K, N, {dt::bf16, dt::f32, bias != nullptr}, attr)) {
      return;
    }
    const auto desc = bias ? dnnl::matmul::desc(src_md(dt::bf16), any_weights, impl_->bias_md, dst_md(dt::f32))
                           : dnnl::matmul::desc(src_md(dt::bf16), any_weights, dst_md(dt::f32));
    pd = dnnl::matmul::primitive_desc(desc, attr, eng);
    impl_->weight_md = pd.weights_desc();
    impl_->packed = HugePageBuffer(impl_->weight_md.get_size());
    memory from(plain_f32, eng, const_cast<float*>(weight));
    memory to(impl_->weight_md, eng, impl_->packed.data());
    dnnl::reorder(from, to).execute(cpu_stream(), from, to);
    cpu_stream().wait();
  } else {
    // Symmetric per-output-channel weights: w ≈ col_scale[n] * q, q in [-127, 127].
    std::vector<int8_t> q(static_cast<size_t>(N * K));
    impl_->col_scale.resize(out_features);
    impl_->col_sum.resize(out_features);
    // Rows are independent: quantising on every core, vectorised, is what keeps int8 start-up short.
    for_rows(out_features, in_features, [&](size_t b, size_t e) {
      quantize_weight_rows_s8(weight + b * in_features, e - b, in_features, q.data() + b * in_features,
                              impl_->col_scale.data() + b, impl_->col_sum.data() + b);
    });
    keep_bias_copy();
    impl_->qmax = activation_qmax();
    const Route r = route_for(precision);
    if (r != Route::kMatmul && impl_->pack_for_rows(r, q.data(), dt::s8, K, N, {dt::u8, dt::s32, false}, {})) return;
    pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(src_md(dt::u8), any_weights, dst_md(dt::s32)), eng);
    impl_->weight_md = pd.weights_desc();
    impl_->packed = HugePageBuffer(impl_->weight_md.get_size());
    memory from(memory::desc({K, N}, dt::s8, {1, K}), eng, q.data());
    memory to(impl_->weight_md, eng, impl_->packed.data());
    dnnl::reorder(from, to).execute(cpu_stream(), from, to);
    cpu_stream().wait();
  }
  impl_->primitive = dnnl::matmul(pd);
}

Linear::~Linear() = default;
Linear::Linear(Linear&&) noexcept = default;
Linear& Linear::operator=(Linear&&) noexcept = default;

bool Linear::runs_on_one_thread() const { return impl_->runs_tasks(); }

namespace {
// oneDNN runs a primitive made for the pool inside another parallel region as if it had one
// thread, so only the first thread's share of it would be computed.
void require_own_pool(const Linear& linear) {
  if (omp_in_parallel() && !linear.runs_on_one_thread()) {
    throw std::logic_error("Linear: this layer cannot run inside a parallel region (runs_on_one_thread)");
  }
}
}  // namespace

size_t Linear::owned_weight_bytes() const {
  return impl_->packed.size() + (impl_->col_scale.size() + impl_->bias_copy.size()) * sizeof(float) +
         impl_->col_sum.size() * sizeof(int32_t);
}

QuantizedRows Linear::quantize_input(const float* x, size_t rows) const {
  const QuantizedRows q{scratch<uint8_t, kQuantized>(rows * in_), scratch<float, kRowScale>(rows),
                        scratch<int32_t, kRowZero>(rows)};
  for_rows(rows, in_, [&](size_t b, size_t e) { quantize_input_rows(x + b * in_, e - b, q.from_row(b, in_)); });
  return q;
}

void Linear::quantize_input_rows(const float* x, size_t rows, const QuantizedRows& out) const {
  if (precision_ != Precision::kInt8) throw std::logic_error("quantize_input_rows: not an int8 layer");
  quantize_rows_u8(x, rows, in_, impl_->qmax, out.values, out.scale, out.zero);
}

template <class Finish>
void Linear::int8_product(const uint8_t* q, size_t rows, Finish&& finish) const {
  require_own_pool(*this);
  auto& strm = cpu_stream();
  const Impl& im = *impl_;
  if (!im.on_rows_route()) {
    auto& eng = cpu_engine();
    const auto K = dim(in_), N = dim(out_);
    memory wei(im.weight_md, eng, static_cast<void*>(const_cast<uint8_t*>(im.packed.data())));
    auto* acc = scratch<int32_t, kAccumulator>(rows * out_);
    memory src({{dim(rows), K}, dt::u8, {K, 1}}, eng, const_cast<uint8_t*>(q));
    memory dst({{dim(rows), N}, dt::s32, {N, 1}}, eng, acc);
    im.primitive.execute(strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}});
    strm.wait();
    finish(size_t{0}, rows, static_cast<const int32_t*>(acc));
    return;
  }
  if (im.runs_tasks() && omp_in_parallel()) {  // a caller's task: this thread alone
    product_on_this_thread(q, 0, rows, finish);
    return;
  }
  if (im.runs_tasks() && rows >= kTaskMinRows && num_threads() > 1) {
    const auto task = [&](size_t b, size_t e) { product_on_this_thread(q, b, e - b, finish); };
    run_row_tasks(rows, task_rows(rows), task);
    return;
  }
  // One call's accumulators at a time (256 x 3072 x 4 bytes at most) rather than the whole
  // batch's (25 MB for 2,000 tokens): the epilogue reads them back from L2/L3, not memory.
  auto* acc = scratch<int32_t, kAccumulator>(std::min(rows, kBigCallRows) * out_);
  for_each_rows_call(rows, [&](size_t r0, size_t m, const auto& call) {
    call.src.set_data_handle(const_cast<uint8_t*>(q) + r0 * in_);
    call.dst.set_data_handle(acc);
    call.primitive.execute(strm, call.args);
    strm.wait();
    finish(r0, m, static_cast<const int32_t*>(acc));
  });
}

template <class Finish>
void Linear::product_on_this_thread(const uint8_t* q, size_t first_row, size_t rows, Finish&& finish) const {
  Impl& im = *impl_;
  auto& strm = cpu_stream();
  for (size_t r0 = first_row, m = 0; r0 < first_row + rows; r0 += m) {
    m = std::min(kTaskRows, first_row + rows - r0);
    auto* acc = scratch<int32_t, kAccumulator>(kTaskRows * out_);
    auto& call = im.task_args_for(m, dim(in_), dim(out_));
    call.src.set_data_handle(const_cast<uint8_t*>(q) + r0 * in_);
    call.dst.set_data_handle(acc);
    if (auto sp = call.args.find(DNNL_ARG_SCRATCHPAD); sp != call.args.end()) {
      // This thread's buffer, which may have moved since (it grows for the largest asked for).
      sp->second.set_data_handle(scratch<uint8_t, kTaskScratchpad>(sp->second.get_desc().get_size()));
    }
    im.task_primitive(m).execute(strm, call.args);
    strm.wait();
    finish(r0, m, static_cast<const int32_t*>(acc));
  }
}

template <class Call>
void Linear::for_each_rows_call(size_t rows, Call&& call) const {
  for (size_t r0 = 0, m = 0; r0 < rows; r0 += m) {
    m = rows - r0 >= kBigCallRows ? kBigCallRows : std::min(kSmallCallRows, rows - r0);
    call(r0, m, impl_->call_for(m, dim(in_), dim(out_)));
  }
}

void Linear::forward_on_rows_route(const void* x, size_t rows, float* y, size_t y_stride, RowsDone done) const {
  auto& strm = cpu_stream();
  const Impl& im = *impl_;
  const size_t x_row_bytes = in_ * (precision_ == Precision::kBF16 ? sizeof(uint16_t) : sizeof(float));
  // The primitives write dense rows: a column slice of a wider output goes through a staging
  // buffer (one call's rows), copied in first when the layer accumulates.
  const bool dense = y_stride == out_;
  float* staging = dense ? nullptr : scratch<float, kStridedOutput>(std::min(rows, kBigCallRows) * out_);
  for_each_rows_call(rows, [&](size_t r0, size_t m, const auto& call) {
    float* out = dense ? y + r0 * out_ : staging;
    if (!dense && im.accumulate) {
      for (size_t i = 0; i < m; ++i) std::memcpy(staging + i * out_, y + (r0 + i) * y_stride, out_ * sizeof(float));
    }
    call.src.set_data_handle(const_cast<uint8_t*>(static_cast<const uint8_t*>(x)) + r0 * x_row_bytes);
    call.dst.set_data_handle(out);
    call.primitive.execute(strm, call.args);
    strm.wait();
    if (!dense) {
      for (size_t i = 0; i < m; ++i) std::memcpy(y + (r0 + i) * y_stride, staging + i * out_, out_ * sizeof(float));
    }
    if (done) for_rows(m, out_, [&](size_t b, size_t e) { done(r0 + b, r0 + e); });
  });
}

void Linear::forward_quantized_input(const QuantizedRows& in, size_t rows, float* y, size_t y_stride,
                                     RowsDone done) const {
  if (precision_ != Precision::kInt8) throw std::logic_error("forward_quantized_input: not an int8 layer");
  if (rows == 0) return;
  if (y_stride == 0) y_stride = out_;
  const Impl& im = *impl_;
  int8_product(in.values, rows, [&](size_t r0, size_t m, const int32_t* acc) {
    for_rows(m, out_, [&](size_t b, size_t e) {
      const Dequantize how{in.scale + r0 + b, in.zero + r0 + b, im.col_scale.data(), im.col_sum.data(), im.bias,
                           im.post_op, im.accumulate};
      dequantize_rows(acc + b * out_, e - b, out_, how, y + (r0 + b) * y_stride, y_stride);
      if (done) done(r0 + b, r0 + e);
    });
  });
}

void Linear::forward_quantized(const QuantizedRows& in, size_t rows, const QuantizedRows& out) const {
  if (precision_ != Precision::kInt8 || impl_->accumulate) {
    throw std::logic_error("forward_quantized: not an int8 layer without accumulation");
  }
  if (rows == 0) return;
  const Impl& im = *impl_;
  int8_product(in.values, rows, [&](size_t r0, size_t m, const int32_t* acc) {
    for_rows(m, out_, [&](size_t b, size_t e) {
      thread_local std::vector<float> row;  // one output row, hot in L1 between the two steps
      if (row.size() < out_) row.resize(out_);
      for (size_t i = b; i < e; ++i) {
        const size_t r = r0 + i;
        const Dequantize how{in.scale + r, in.zero + r, im.col_scale.data(), im.col_sum.data(), im.bias,
                             im.post_op, false};
        dequantize_rows(acc + i * out_, 1, out_, how, row.data(), out_);
        quantize_rows_u8(row.data(), 1, out_, im.qmax, out.values + r * out_, out.scale + r, out.zero + r);
      }
    });
  });
}

void Linear::forward_quantized_output(const float* x, size_t rows, const QuantizedRows& out) const {
  if (precision_ != Precision::kInt8 || impl_->accumulate) {  // before reading x
    throw std::logic_error("forward_quantized_output: not an int8 layer without accumulation");
  }
  if (rows == 0) return;
  forward_quantized(quantize_input(x, rows), rows, out);
}

void Linear::forward(const float* x, size_t rows, float* y, size_t y_stride, RowsDone done) const {
  if (rows == 0) return;
  if (y_stride == 0) y_stride = out_;
  if (precision_ == Precision::kInt8) {
    const QuantizedRows q = quantize_input(x, rows);
    forward_quantized_input(q, rows, y, y_stride, done);
    return;
  }
  const void* src_data = x;
  if (precision_ == Precision::kBF16) {
    auto* xb = scratch<uint16_t, kBf16Input>(rows * in_);
    for_rows(rows, in_, [&](size_t b, size_t e) { round_to_bf16(x + b * in_, (e - b) * in_, xb + b * in_); });
    src_data = xb;
  }
  require_own_pool(*this);
  if (impl_->on_rows_route()) {
    forward_on_rows_route(src_data, rows, y, y_stride, done);
    return;
  }
  auto& eng = cpu_engine();
  auto& strm = cpu_stream();
  const Impl& im = *impl_;
  const auto M = dim(rows), K = dim(in_), N = dim(out_);
  memory wei(im.weight_md, eng,
             precision_ == Precision::kF32 ? const_cast<float*>(im.weight)
                                           : static_cast<void*>(const_cast<uint8_t*>(im.packed.data())));
  const memory::desc src_md({M, K}, precision_ == Precision::kBF16 ? dt::bf16 : dt::f32, {K, 1});
  memory src(src_md, eng, const_cast<void*>(src_data));
  memory dst({{M, N}, dt::f32, {dim(y_stride), 1}}, eng, y);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
  if (im.bias) args.emplace(DNNL_ARG_BIAS, memory(im.bias_md, eng, const_cast<float*>(im.bias)));
  im.primitive.execute(strm, args);
  strm.wait();
  if (done) for_rows(rows, out_, [&](size_t b, size_t e) { done(b, e); });
}

}  // namespace verdict::kernels
