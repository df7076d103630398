#include "verdict/kernels/layer_norm.h"

#include <cmath>

namespace verdict::kernels {

void layer_norm(const float* x, const float* gamma, const float* beta, float* y, size_t rows,
                size_t cols, float eps) {
  for (size_t r = 0; r < rows; ++r) {
    const float* in = x + r * cols;
    float* out = y + r * cols;
    // Two passes in double: the mean of 768 values in float loses digits we need for 1e-4.
    double sum = 0;
    for (size_t i = 0; i < cols; ++i) sum += in[i];
    const double mean = sum / static_cast<double>(cols);
    double var = 0;
    for (size_t i = 0; i < cols; ++i) {
      const double dlt = in[i] - mean;
      var += dlt * dlt;
    }
    var /= static_cast<double>(cols);
    const float inv = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(eps)));
    const float m = static_cast<float>(mean);
    for (size_t i = 0; i < cols; ++i) out[i] = (in[i] - m) * inv * gamma[i] + beta[i];
  }
}

}  // namespace verdict::kernels
