#pragma once

#include <cstddef>

namespace verdict::kernels {

// In-place, max-subtracted softmax over each of `rows` rows of `cols` floats.
void softmax_rows(float* x, size_t rows, size_t cols);

}  // namespace verdict::kernels
