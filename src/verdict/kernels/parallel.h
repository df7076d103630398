// The one intra-op pool (OpenMP, sized by set_num_threads) as the kernels use it.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstddef>

#include "verdict/kernels/cpu.h"

namespace verdict::kernels {

// Runs f(begin, end) over row ranges on the intra-op pool when the work is worth a fork;
// `cols` only sizes the work. Inside another parallel region it runs inline.
template <class F>
void for_rows(size_t rows, size_t cols, F&& f) {
  const size_t threads = std::min(num_threads(), rows);
  // The pool's threads spin between forks, so a fork costs ~1 µs: worth it from a few thousand
  // elements. 4096 rather than 32768 puts a 32-token pass's quantising and LayerNorm on both
  // cores (A/B, int8: 8 tokens -2.9 %, 32 tokens -0.8 %, mixed batches even).
  constexpr size_t kMinForkWork = 4096;
  if (threads <= 1 || rows * cols < kMinForkWork || omp_in_parallel()) {
    f(size_t{0}, rows);
    return;
  }
#pragma omp parallel for num_threads(static_cast<int>(threads)) schedule(static)
  for (size_t t = 0; t < threads; ++t) {
    const size_t begin = rows * t / threads, end = rows * (t + 1) / threads;
    if (begin < end) f(begin, end);
  }
}

}  // namespace verdict::kernels
