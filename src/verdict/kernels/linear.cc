#include "verdict/kernels/linear.h"

#include "verdict/kernels/engine.h"

namespace verdict::kernels {

using dnnl::memory;

struct Linear::Impl {
  dnnl::matmul primitive;
  memory::desc weight_md, bias_md;
  const float* weight = nullptr;
  const float* bias = nullptr;
};

namespace {
memory::dim dim(size_t v) { return static_cast<memory::dim>(v); }
}  // namespace

Linear::Linear(const float* weight, const float* bias, size_t out_features, size_t in_features,
               PostOp post_op, bool accumulate)
    : impl_(std::make_unique<Impl>()), out_(out_features), in_(in_features) {
  const auto K = dim(in_features), N = dim(out_features);
  // M (rows) is a run-time dimension, so one primitive serves every batch shape.
  const memory::desc src_md({DNNL_RUNTIME_DIM_VAL, K}, memory::data_type::f32, {K, 1});
  impl_->weight_md = memory::desc({K, N}, memory::data_type::f32, {1, K});  // Wᵀ view of [N, K]
  impl_->bias_md = memory::desc({1, N}, memory::data_type::f32, {N, 1});
  const memory::desc dst_md({DNNL_RUNTIME_DIM_VAL, N}, memory::data_type::f32,
                            {DNNL_RUNTIME_DIM_VAL, 1});

  dnnl::post_ops ops;
  switch (post_op) {
    case PostOp::kNone: break;
    case PostOp::kGeluErf: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_gelu_erf, 0.f, 0.f); break;
    case PostOp::kGeluTanh: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_gelu_tanh, 0.f, 0.f); break;
    case PostOp::kRelu: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f); break;
    case PostOp::kTanh: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_tanh, 0.f, 0.f); break;
  }
  if (accumulate) ops.append_sum(1.f);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  const auto desc = bias ? dnnl::matmul::desc(src_md, impl_->weight_md, impl_->bias_md, dst_md)
                         : dnnl::matmul::desc(src_md, impl_->weight_md, dst_md);
  impl_->primitive = dnnl::matmul(dnnl::matmul::primitive_desc(desc, attr, cpu_engine()));
  impl_->weight = weight;
  impl_->bias = bias;
}

Linear::~Linear() = default;
Linear::Linear(Linear&&) noexcept = default;
Linear& Linear::operator=(Linear&&) noexcept = default;

void Linear::forward(const float* x, size_t rows, float* y, size_t y_stride) const {
  if (rows == 0) return;
  if (y_stride == 0) y_stride = out_;
  auto& eng = cpu_engine();
  const memory::desc src_md({dim(rows), dim(in_)}, memory::data_type::f32, {dim(in_), 1});
  const memory::desc dst_md({dim(rows), dim(out_)}, memory::data_type::f32, {dim(y_stride), 1});
  memory src(src_md, eng, const_cast<float*>(x));
  memory wei(impl_->weight_md, eng, const_cast<float*>(impl_->weight));
  memory dst(dst_md, eng, y);
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
  if (impl_->bias) args.emplace(DNNL_ARG_BIAS, memory(impl_->bias_md, eng, const_cast<float*>(impl_->bias)));
  impl_->primitive.execute(cpu_stream(), args);
  cpu_stream().wait();
}

}  // namespace verdict::kernels
