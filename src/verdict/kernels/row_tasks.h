// Row tasks: a batch's rows in blocks handed out one at a time to whichever thread of the pool
// is free, for work that is the same for every row (products and what follows them).
#pragma once

#include <cstddef>

#include "verdict/kernels/linear.h"

namespace verdict::kernels {

// task(begin, end) for each block of `block` rows (the last may be shorter), spread over the
// pool dynamically, not in equal shares: a VM's two vCPUs seldom run at one speed, and a share
// fixed in advance leaves the faster one waiting. In turn on this thread inside a parallel region
// or with one thread.
void run_row_tasks(size_t rows, size_t block, RowsDone task);

}  // namespace verdict::kernels
