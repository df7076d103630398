#include "verdict/kernels/linear.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "verdict/common/huge_pages.h"
#include "verdict/kernels/cpu.h"
#include "verdict/kernels/engine.h"
#include "verdict/kernels/parallel.h"
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

bool isa_at_least(std::initializer_list<const char*> names) {
  const std::string isa = effective_isa();
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return isa == n; });
}

// Without VNNI, x86 int8 dot products go through vpmaddubsw, whose 16-bit pair sums saturate
// unless u8 × s8 pairs stay below 2^15: activations then use 7 bits (as fbgemm's reduce_range).
int activation_qmax() {
  return isa_at_least({"avx2_vnni", "avx512_core_vnni", "avx512_core_bf16", "avx512_core_amx"}) ? 255 : 127;
}

memory::dim dim(size_t v) { return static_cast<memory::dim>(v); }

// Rows per call of the 1x1-convolution route (below): kConvRows and fewer each get their own
// primitive, made once on first use; larger inputs go in calls of kConvBigRows rows, so that a
// packed batch of 2000 tokens costs 9 forks of the pool rather than 33.
constexpr size_t kConvRows = 64;
constexpr size_t kConvBigRows = 256;

// A linear layer as a 1x1 convolution over a [rows x 1] "image" in NHWC: src [rows, K] and
// dst [rows, N] row-major are exactly NHWC, and oneDNN packs the weights once for its JIT
// kernel. Where oneDNN has no blocked matmul for the type (AVX2: f32 and int8 without VNNI run
// gemm:jit, which re-packs the weights on every call), this measured faster at every row count:
// int8 3.5x (1 row), 1.6x (8), 1.25x (32), equal from 64; f32 1.6x (8), 1.3x (32-256).
struct ConvTypes {
  dt src, dst;
  bool bias;
};
dnnl::convolution_forward::primitive_desc conv_rows_pd(memory::dim rows, memory::dim K, memory::dim N,
                                                      const ConvTypes& types, const dnnl::primitive_attr& attr) {
  using tag = memory::format_tag;
  const memory::desc src({1, K, rows, 1}, types.src, tag::nhwc);
  const memory::desc wei({N, K, 1, 1}, types.src == dt::u8 ? dt::s8 : types.src, tag::any);
  const memory::desc dst({1, N, rows, 1}, types.dst, tag::nhwc);
  const auto kind = dnnl::prop_kind::forward_inference;
  const auto algo = dnnl::algorithm::convolution_direct;
  const auto desc = types.bias ? dnnl::convolution_forward::desc(kind, algo, src, wei, memory::desc({N}, dt::f32, tag::x),
                                                                 dst, {1, 1}, {0, 0}, {0, 0})
                               : dnnl::convolution_forward::desc(kind, algo, src, wei, dst, {1, 1}, {0, 0}, {0, 0});
  return dnnl::convolution_forward::primitive_desc(desc, attr, cpu_engine());
}

// VERDICT_MATMUL_ONLY=1 keeps every layer on oneDNN's matmul: a diagnostic switch, and how the
// tests cover the route that CPUs with blocked matmul kernels (AVX-512, AMX) take.
bool matmul_only() {
  static const bool only = [] {
    const char* v = std::getenv("VERDICT_MATMUL_ONLY");
    return v && *v && std::string_view(v) != "0";
  }();
  return only;
}

// Whether oneDNN's matmul for these types would be plain gemm:jit on this CPU (no blocked kernel).
bool matmul_is_plain_gemm(dt src, dt wei, dt dst) {
  const memory::desc s({DNNL_RUNTIME_DIM_VAL, 64}, src, {64, 1});
  const memory::desc w({64, 64}, wei, memory::format_tag::any);
  const memory::desc d({DNNL_RUNTIME_DIM_VAL, 64}, dst, {DNNL_RUNTIME_DIM_VAL, 1});
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(s, w, d), cpu_engine());
  return std::string_view(pd.impl_info_str()).rfind("gemm:", 0) == 0;
}

bool use_conv_route(Precision p) {
  if (matmul_only() || p == Precision::kBF16) return false;
  static const bool f32 = matmul_is_plain_gemm(dt::f32, dt::f32, dt::f32);
  static const bool s8 = matmul_is_plain_gemm(dt::u8, dt::s8, dt::s32);
  return p == Precision::kF32 ? f32 : s8;
}

// Thread-local, grow-only scratch, one buffer per (type, slot): no allocation on the hot path
// once warmed up.
enum Slot { kQuantized, kRowScale, kRowZero, kAccumulator, kBf16Input, kStridedOutput };
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

uint16_t to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);  // NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);  // round to nearest even
  return static_cast<uint16_t>(bits >> 16);
}

}  // namespace

bool Linear::copies_weights(Precision precision) {
  return precision != Precision::kF32 || use_conv_route(precision);
}

Status precision_supported(Precision p) {
  switch (p) {
    case Precision::kF32:
    case Precision::kInt8: return {};
    case Precision::kBF16:
      if (isa_at_least({"avx512_core_bf16", "avx512_core_amx"})) return {};
      return make_error(ErrorCode::kUnsupported, "dtype bf16 needs a CPU with AVX512-BF16 or AMX; this one offers " +
                                                     effective_isa() + " (use fp32 or int8)");
  }
  return {};
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
  // The 1x1-convolution route: one primitive per row count 1..kConvRows and kConvBigRows,
  // made on first use, all reading the weights packed once (weight_md).
  bool rows_as_pixels = false;
  ConvTypes conv_types{};
  dnnl::primitive_attr conv_attr;
  std::vector<std::optional<dnnl::convolution_forward>> conv_by_rows;
  std::optional<dnnl::convolution_forward> conv_big;

  // Packs `weights` ([N, K] oihw of conv_types.src's weight type) for the route; false, doing
  // nothing, if oneDNN has only its reference convolution for the shape.
  bool pack_for_conv(const void* weights, memory::dim K, memory::dim N, ConvTypes types, dnnl::primitive_attr attr) {
    const auto pd = conv_rows_pd(dim(kConvRows), K, N, types, attr);
    if (std::string_view(pd.impl_info_str()).rfind("ref", 0) == 0) return false;
    rows_as_pixels = true;
    conv_types = types;
    conv_attr = std::move(attr);
    conv_by_rows.resize(kConvRows);
    weight_md = pd.weights_desc();  // the same packing for every row count (checked in conv_for)
    packed = HugePageBuffer(weight_md.get_size());
    const dt wtype = types.src == dt::u8 ? dt::s8 : types.src;
    memory from(memory::desc({N, K, 1, 1}, wtype, memory::format_tag::oihw), cpu_engine(), const_cast<void*>(weights));
    memory to(weight_md, cpu_engine(), packed.data());
    dnnl::reorder(from, to).execute(cpu_stream(), from, to);
    cpu_stream().wait();
    return true;
  }

  const dnnl::convolution_forward& conv_for(size_t m, memory::dim K, memory::dim N) {
    auto& conv = m == kConvBigRows ? conv_big : conv_by_rows[m - 1];
    if (!conv) {
      const auto pd = conv_rows_pd(dim(m), K, N, conv_types, conv_attr);
      if (pd.weights_desc() != weight_md) throw std::logic_error("1x1 convolution: weight layout depends on rows");
      conv.emplace(pd);
    }
    return *conv;
  }
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
  // M (rows) is a run-time dimension, so one primitive serves every batch shape.
  const auto src_md = [&](dt type) { return memory::desc({DNNL_RUNTIME_DIM_VAL, K}, type, {K, 1}); };
  const auto dst_md = [&](dt type) {
    return memory::desc({DNNL_RUNTIME_DIM_VAL, N}, type, {DNNL_RUNTIME_DIM_VAL, 1});
  };

  if (precision == Precision::kF32) {
    dnnl::primitive_attr attr;
    attr.set_post_ops(make_post_ops(post_op, accumulate));
    if (use == WeightUse::kBest && use_conv_route(precision) &&
        impl_->pack_for_conv(weight, K, N, {dt::f32, dt::f32, bias != nullptr}, attr)) {
      if (bias) {
        impl_->bias_copy.assign(bias, bias + out_features);
        impl_->bias = impl_->bias_copy.data();
      }
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
    if (bias) {
      impl_->bias_copy.assign(bias, bias + out_features);
      impl_->bias = impl_->bias_copy.data();
    }
    impl_->qmax = activation_qmax();
    if (use_conv_route(precision) && impl_->pack_for_conv(q.data(), K, N, {dt::u8, dt::s32, false}, {})) return;
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

size_t Linear::owned_weight_bytes() const {
  return impl_->packed.size() + (impl_->col_scale.size() + impl_->bias_copy.size()) * sizeof(float) +
         impl_->col_sum.size() * sizeof(int32_t);
}

QuantizedRows Linear::quantize_input(const float* x, size_t rows) const {
  const QuantizedRows q{scratch<uint8_t, kQuantized>(rows * in_), scratch<float, kRowScale>(rows),
                        scratch<int32_t, kRowZero>(rows)};
  for_rows(rows, in_, [&](size_t b, size_t e) {
    quantize_rows_u8(x + b * in_, e - b, in_, impl_->qmax, q.values + b * in_, q.scale + b, q.zero + b);
  });
  return q;
}

template <class Finish>
void Linear::int8_product(const uint8_t* q, size_t rows, Finish&& finish) const {
  auto& eng = cpu_engine();
  auto& strm = cpu_stream();
  const Impl& im = *impl_;
  const auto K = dim(in_), N = dim(out_);
  memory wei(im.weight_md, eng, static_cast<void*>(const_cast<uint8_t*>(im.packed.data())));
  if (!im.rows_as_pixels) {
    auto* acc = scratch<int32_t, kAccumulator>(rows * out_);
    memory src({{dim(rows), K}, dt::u8, {K, 1}}, eng, const_cast<uint8_t*>(q));
    memory dst({{dim(rows), N}, dt::s32, {N, 1}}, eng, acc);
    im.primitive.execute(strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}});
    strm.wait();
    finish(size_t{0}, rows, static_cast<const int32_t*>(acc));
    return;
  }
  // One call's accumulators at a time (256 x 3072 x 4 bytes at most) rather than the whole
  // batch's (25 MB for 2,000 tokens): the epilogue reads them back from L2/L3, not memory.
  auto* acc = scratch<int32_t, kAccumulator>(std::min(rows, kConvBigRows) * out_);
  for_each_conv_call(rows, [&](size_t r0, size_t m, const dnnl::convolution_forward& conv) {
    memory src({{1, K, dim(m), 1}, dt::u8, memory::format_tag::nhwc}, eng, const_cast<uint8_t*>(q) + r0 * in_);
    memory dst({{1, N, dim(m), 1}, dt::s32, memory::format_tag::nhwc}, eng, acc);
    conv.execute(strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}});
    strm.wait();
    finish(r0, m, static_cast<const int32_t*>(acc));
  });
}

template <class Call>
void Linear::for_each_conv_call(size_t rows, Call&& call) const {
  for (size_t r0 = 0, m = 0; r0 < rows; r0 += m) {
    m = rows - r0 >= kConvBigRows ? kConvBigRows : std::min(kConvRows, rows - r0);
    call(r0, m, impl_->conv_for(m, dim(in_), dim(out_)));
  }
}

void Linear::forward_f32_as_conv(const float* x, size_t rows, float* y, size_t y_stride) const {
  auto& eng = cpu_engine();
  auto& strm = cpu_stream();
  const Impl& im = *impl_;
  const auto K = dim(in_), N = dim(out_);
  memory wei(im.weight_md, eng, static_cast<void*>(const_cast<uint8_t*>(im.packed.data())));
  std::optional<memory> bias;
  if (im.bias) bias.emplace(memory::desc({N}, dt::f32, memory::format_tag::x), eng, const_cast<float*>(im.bias));
  // The convolution writes dense rows: a column slice of a wider output goes through a staging
  // buffer (one call's rows), copied in first when the layer accumulates.
  const bool dense = y_stride == out_;
  float* staging = dense ? nullptr : scratch<float, kStridedOutput>(std::min(rows, kConvBigRows) * out_);
  for_each_conv_call(rows, [&](size_t r0, size_t m, const dnnl::convolution_forward& conv) {
    float* out = dense ? y + r0 * out_ : staging;
    if (!dense && im.accumulate) {
      for (size_t i = 0; i < m; ++i) std::memcpy(staging + i * out_, y + (r0 + i) * y_stride, out_ * sizeof(float));
    }
    memory src({{1, K, dim(m), 1}, dt::f32, memory::format_tag::nhwc}, eng, const_cast<float*>(x) + r0 * in_);
    memory dst({{1, N, dim(m), 1}, dt::f32, memory::format_tag::nhwc}, eng, out);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
    if (bias) args.emplace(DNNL_ARG_BIAS, *bias);
    conv.execute(strm, args);
    strm.wait();
    if (!dense) {
      for (size_t i = 0; i < m; ++i) std::memcpy(y + (r0 + i) * y_stride, staging + i * out_, out_ * sizeof(float));
    }
  });
}

void Linear::forward_quantized_input(const QuantizedRows& in, size_t rows, float* y, size_t y_stride) const {
  if (precision_ != Precision::kInt8) throw std::logic_error("forward_quantized_input: not an int8 layer");
  if (rows == 0) return;
  if (y_stride == 0) y_stride = out_;
  const Impl& im = *impl_;
  int8_product(in.values, rows, [&](size_t r0, size_t m, const int32_t* acc) {
    for_rows(m, out_, [&](size_t b, size_t e) {
      const Dequantize how{in.scale + r0 + b, in.zero + r0 + b, im.col_scale.data(), im.col_sum.data(), im.bias,
                           im.post_op, im.accumulate};
      dequantize_rows(acc + b * out_, e - b, out_, how, y + (r0 + b) * y_stride, y_stride);
    });
  });
}

void Linear::forward_quantized_output(const float* x, size_t rows, const QuantizedRows& out) const {
  if (precision_ != Precision::kInt8 || impl_->accumulate) {
    throw std::logic_error("forward_quantized_output: not an int8 layer without accumulation");
  }
  if (rows == 0) return;
  const Impl& im = *impl_;
  const QuantizedRows q = quantize_input(x, rows);
  int8_product(q.values, rows, [&](size_t r0, size_t m, const int32_t* acc) {
    for_rows(m, out_, [&](size_t b, size_t e) {
      thread_local std::vector<float> row;  // one output row, hot in L1 between the two steps
      if (row.size() < out_) row.resize(out_);
      for (size_t i = b; i < e; ++i) {
        const size_t r = r0 + i;
        const Dequantize how{q.scale + r, q.zero + r, im.col_scale.data(), im.col_sum.data(), im.bias,
                             im.post_op, false};
        dequantize_rows(acc + i * out_, 1, out_, how, row.data(), out_);
        quantize_rows_u8(row.data(), 1, out_, im.qmax, out.values + r * out_, out.scale + r, out.zero + r);
      }
    });
  });
}

void Linear::forward(const float* x, size_t rows, float* y, size_t y_stride) const {
  if (rows == 0) return;
  if (y_stride == 0) y_stride = out_;
  if (precision_ == Precision::kInt8) {
    const QuantizedRows q = quantize_input(x, rows);
    forward_quantized_input(q, rows, y, y_stride);
    return;
  }
  if (impl_->rows_as_pixels) {
    forward_f32_as_conv(x, rows, y, y_stride);
    return;
  }
  auto& eng = cpu_engine();
  auto& strm = cpu_stream();
  const Impl& im = *impl_;
  const auto M = dim(rows), K = dim(in_), N = dim(out_);
  memory wei(im.weight_md, eng,
             precision_ == Precision::kF32 ? const_cast<float*>(im.weight)
                                           : static_cast<void*>(const_cast<uint8_t*>(im.packed.data())));

  memory::desc src_md;
  void* src_data = const_cast<float*>(x);
  if (precision_ == Precision::kBF16) {
    auto* xb = scratch<uint16_t, kBf16Input>(rows * in_);
    for_rows(rows, in_, [&](size_t b, size_t e) {
      for (size_t i = b * in_; i < e * in_; ++i) xb[i] = to_bf16(x[i]);
    });
    src_md = memory::desc({M, K}, dt::bf16, {K, 1});
    src_data = xb;
  } else {
    src_md = memory::desc({M, K}, dt::f32, {K, 1});
  }
  memory src(src_md, eng, src_data);
  memory dst({{M, N}, dt::f32, {dim(y_stride), 1}}, eng, y);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
  if (im.bias) args.emplace(DNNL_ARG_BIAS, memory(im.bias_md, eng, const_cast<float*>(im.bias)));
  im.primitive.execute(strm, args);
  strm.wait();
}

}  // namespace verdict::kernels
