// What the CPU offers and how many threads to use. Kernels choose their path at run time.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "verdict/common/error.h"

namespace verdict::kernels {

// The ISA oneDNN dispatches to (e.g. "avx2", "avx512_core_bf16"), after any cap set below.
std::string effective_isa();

// Whether effective_isa() includes `name` in oneDNN's order (sse41 < avx < avx2 < avx2_vnni <
// avx512_core < ...; every later one includes AVX2).
bool effective_isa_at_least(std::string_view name);

// Caps the ISA (--isa): "sse41", "avx2", "avx512_core", ... Fails when the name is unknown,
// when the CPU lacks that ISA, or when kernels already asked for it. Without a call, the
// VERDICT_ISA environment variable, if set, is applied when kernels first ask.
Status set_max_isa(const std::string& name);
void apply_isa_cap_from_env();

// Cores this process may use: the affinity mask, further limited by a cgroup CPU quota
// (Cloud Run / Kubernetes limits), at least 1.
size_t available_cores();

// The CPU limit (in cores, fractional; 0 = none) of a cgroup tree at `root` for a process whose
// /proc/self/cgroup reads `self_cgroup`: the smallest cpu.max (v2) or cfs quota (v1) from the
// process's cgroup up to the root. available_cores() asks it about /sys/fs/cgroup.
double cgroup_cpu_limit(const std::filesystem::path& root, std::string_view self_cgroup);

// The intra-op pool size of the process (--threads, else available_cores()). OpenMP keeps the
// count per thread and a new thread starts with its default (every CPU in the affinity mask,
// ignoring a cgroup quota), so a thread that runs kernels calls adopt_compute_threads() first.
void set_compute_threads(size_t n);  // also applies it to the calling thread
size_t compute_threads();
void adopt_compute_threads();

// The calling thread's pool size, and a limit for it alone (a background job beside the
// compute thread).
void set_num_threads(size_t n);
size_t num_threads();

// How idle OpenMP threads wait, from the environment libgomp read at start-up: "spin N rounds"
// (GOMP_SPINCOUNT), "passive" (OMP_WAIT_POLICY=PASSIVE: sleep at once), "active", or "default
// spin". It moves batch-1 latency by ~1.5 ms here, so benchmarks and logs record it.
std::string openmp_wait_policy();

// Ends the calling thread's OpenMP workers. libgomp spin-waits between parallel regions only
// while it manages no more threads than there are CPUs; a loading thread's idle workers would
// push the compute thread's pool over that line and make every fork wake a sleeping thread.
void release_thread_pool();

}  // namespace verdict::kernels
