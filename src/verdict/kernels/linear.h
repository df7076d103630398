// y = act(x · Wᵀ + b) [+ y], the linear layer of every transformer block, through oneDNN.
#pragma once

#include <cstddef>
#include <memory>

namespace verdict::kernels {

enum class PostOp { kNone, kGeluErf, kGeluTanh, kRelu, kTanh };

// Weights stay in PyTorch layout [out_features, in_features] and are not copied: the caller
// keeps them alive. Thread-compatible: forward() may not run concurrently on one instance.
class Linear {
 public:
  // accumulate: y += x · Wᵀ + b (the residual connection) instead of y = …; post_op applies
  // before accumulation.
  Linear(const float* weight, const float* bias, size_t out_features, size_t in_features,
         PostOp post_op = PostOp::kNone, bool accumulate = false);
  ~Linear();
  Linear(Linear&&) noexcept;
  Linear& operator=(Linear&&) noexcept;

  // x: [rows, in_features] row-major; y: [rows, out_features] with rows `y_stride` floats
  // apart (0: out_features), so outputs can land in a column slice of a wider matrix.
  void forward(const float* x, size_t rows, float* y, size_t y_stride = 0) const;

  size_t out_features() const { return out_; }
  size_t in_features() const { return in_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  size_t out_ = 0, in_ = 0;
};

}  // namespace verdict::kernels
