// The process-wide oneDNN engine and stream (CPU). oneDNN parallelises each primitive over
// the intra-op thread pool; one compute thread drives it.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

namespace verdict::kernels {

dnnl::engine& cpu_engine();
dnnl::stream& cpu_stream();

}  // namespace verdict::kernels
