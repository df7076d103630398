#include "verdict/kernels/row_tasks.h"

#include <omp.h>

#include <algorithm>

#include "verdict/kernels/cpu.h"

namespace verdict::kernels {

void run_row_tasks(size_t rows, size_t block, RowsDone task) {
  if (rows == 0) return;
  const size_t tasks = (rows + block - 1) / block;
  const size_t threads = std::min(num_threads(), tasks);
  if (threads <= 1 || omp_in_parallel()) {
    for (size_t b = 0; b < rows; b += block) task(b, std::min(rows, b + block));
    return;
  }
#pragma omp parallel for num_threads(static_cast<int>(threads)) schedule(dynamic, 1)
  for (size_t t = 0; t < tasks; ++t) task(t * block, std::min(rows, (t + 1) * block));
}

}  // namespace verdict::kernels
