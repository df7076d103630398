#include "verdict/kernels/softmax.h"

#include <cmath>

namespace verdict::kernels {

void softmax_rows(float* x, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; ++r) {
    float* row = x + r * cols;
    float max = row[0];
    for (size_t i = 1; i < cols; ++i) max = row[i] > max ? row[i] : max;
    float sum = 0.f;
    for (size_t i = 0; i < cols; ++i) {
      row[i] = std::exp(row[i] - max);
      sum += row[i];
    }
    const float inv = 1.f / sum;
    for (size_t i = 0; i < cols; ++i) row[i] *= inv;
  }
}

}  // namespace verdict::kernels
