#include "verdict/kernels/engine.h"

#include "verdict/kernels/cpu.h"

namespace verdict::kernels {

dnnl::engine& cpu_engine() {
  static dnnl::engine engine = [] {
    apply_isa_cap_from_env();  // before oneDNN settles on its ISA
    return dnnl::engine(dnnl::engine::kind::cpu, 0);
  }();
  return engine;
}

dnnl::stream& cpu_stream() {
  // thread_local: a stream is not meant to be shared between threads that submit work.
  thread_local dnnl::stream stream(cpu_engine());
  return stream;
}

}  // namespace verdict::kernels
