#pragma once

#include <cstddef>

namespace verdict::kernels {

// y = (x - mean) / sqrt(var + eps) * gamma + beta over each row; x and y may alias.
void layer_norm(const float* x, const float* gamma, const float* beta, float* y, size_t rows,
                size_t cols, float eps);

}  // namespace verdict::kernels
