#include "verdict/kernels/cpu.h"

#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "verdict/kernels/vector_ops.h"

namespace verdict::kernels {

namespace {

std::string dnnl_isa_name() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "generic";
  }
}

constexpr std::pair<const char*, dnnl::cpu_isa> kIsas[] = {
      {"sse41", dnnl::cpu_isa::sse41},
      {"avx", dnnl::cpu_isa::avx},
      {"avx2", dnnl::cpu_isa::avx2},
      {"avx2_vnni", dnnl::cpu_isa::avx2_vnni},
      {"avx512_core", dnnl::cpu_isa::avx512_core},
      {"avx512_core_vnni", dnnl::cpu_isa::avx512_core_vnni},
      {"avx512_core_bf16", dnnl::cpu_isa::avx512_core_bf16},
      {"avx512_core_amx", dnnl::cpu_isa::avx512_core_amx},
      {"all", dnnl::cpu_isa::all},
};
Status apply_isa_cap(const std::string& name) {
  std::string known;
  for (const auto& [n, isa] : kIsas) {
    known += known.empty() ? n : std::string(", ") + n;
    if (name != n) continue;
    if (dnnl::set_max_cpu_isa(isa) != dnnl::status::success) {
      return make_error(ErrorCode::kUnavailable, "ISA cap '" + name + "' must be set before any kernel runs");
    }
    if (name != "all" && dnnl_isa_name() != name) {
      return make_error(ErrorCode::kUnsupported, "this CPU lacks ISA '" + name + "' (best available: " +
                                                     dnnl_isa_name() + ")");
    }
    // The Highway kernels follow the same cap.
    if (name == "sse41") limit_simd_target("SSE4");
    else if (name == "avx" || name.rfind("avx2", 0) == 0) limit_simd_target("AVX2");
    else if (name.rfind("avx512", 0) == 0) limit_simd_target("AVX3");
    else limit_simd_target("");
    return {};
  }
  return make_error(ErrorCode::kInvalidArgument, "unknown ISA '" + name + "'; known: " + known);
}

// The cap is taken once: from set_max_isa, or else from VERDICT_ISA when the kernels first ask
// for the ISA. So every program (the tests too) honours VERDICT_ISA, which is how the AVX2 path
// stays tested on AVX-512 machines.
std::once_flag isa_cap_once;

}  // namespace

void apply_isa_cap_from_env() {
  std::call_once(isa_cap_once, [] {
    const char* v = std::getenv("VERDICT_ISA");
    if (v && *v) (void)apply_isa_cap(v);  // a bad value is reported by the CLI, which checks it first
  });
}

bool effective_isa_at_least(std::string_view name) {
  const std::string isa = effective_isa();
  int have = -1, want = -1;
  for (int i = 0; i < static_cast<int>(std::size(kIsas)); ++i) {
    if (isa == kIsas[i].first) have = i;
    if (name == kIsas[i].first) want = i;
  }
  return have >= 0 && want >= 0 && have >= want;
}

std::string effective_isa() {
  apply_isa_cap_from_env();
  return dnnl_isa_name();
}

Status set_max_isa(const std::string& name) {
  bool applied = false;
  Status status;
  std::call_once(isa_cap_once, [&] {
    applied = true;
    status = apply_isa_cap(name);
  });
  if (!applied) return make_error(ErrorCode::kUnavailable, "ISA cap '" + name + "' must be set before any kernel runs");
  return status;
}

namespace {

// The whole of `text` as a number, or nothing ("max", "-", garbage).
std::optional<double> parse_number(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0') return std::nullopt;
  return v;
}

// A limit of q / p CPUs when both are positive numbers, else 0 (none).
double quota_limit(std::optional<double> q, std::optional<double> p) { return q && p && *q > 0 && *p > 0 ? *q / *p : 0; }

// The tighter of two limits, 0 meaning none.
double tighter(double a, double b) { return a == 0 ? b : (b == 0 ? a : std::min(a, b)); }

// One cgroup folder's limit: v2 "cpu.max" ("max 100000" or "150000 100000"), else v1
// cpu.cfs_quota_us / cpu.cfs_period_us (-1: none). 0 when it sets none.
double folder_cpu_limit(const std::filesystem::path& dir) {
  std::string quota, period;
  if (std::ifstream v2(dir / "cpu.max"); v2 >> quota >> period) return quota_limit(parse_number(quota), parse_number(period));
  std::ifstream q(dir / "cpu.cfs_quota_us"), p(dir / "cpu.cfs_period_us");
  if (!(q >> quota) || !(p >> period)) return 0;
  return quota_limit(parse_number(quota), parse_number(period));
}

// The tightest limit from `top` down the folders of `rel` (a cgroup path such as /a/b).
double tightest_down(const std::filesystem::path& top, const std::string& rel) {
  std::filesystem::path dir = top;
  double limit = folder_cpu_limit(dir);
  for (const auto& part : std::filesystem::path(rel).relative_path()) {
    if (part.empty() || part == "." || part == "..") break;
    dir /= part;
    limit = tighter(limit, folder_cpu_limit(dir));
  }
  return limit;
}

}  // namespace

double cgroup_cpu_limit(const std::filesystem::path& root, std::string_view self_cgroup) {
  // This process's cgroup: "0::/path" (v2), or the cpu controller's line (v1).
  std::string v2_path, v1_path;
  size_t start = 0;
  while (start < self_cgroup.size()) {
    size_t end = self_cgroup.find('\n', start);
    if (end == std::string_view::npos) end = self_cgroup.size();
    const std::string_view line = self_cgroup.substr(start, end - start);
    start = end + 1;
    const size_t c1 = line.find(':'), c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    const std::string_view controllers = line.substr(c1 + 1, c2 - c1 - 1), path = line.substr(c2 + 1);
    if (line.substr(0, c1) == "0" && controllers.empty()) v2_path = path;
    for (size_t a = 0; a <= controllers.size();) {
      size_t b = controllers.find(',', a);
      if (b == std::string_view::npos) b = controllers.size();
      if (controllers.substr(a, b - a) == "cpu") v1_path = path;
      a = b + 1;
    }
  }
  // The limit in force is the tightest on the way from the root to the process's cgroup. In a
  // container the cgroup's own folder is usually mounted as the root (its path from the host
  // does not exist inside), so the root is always looked at too.
  return tighter(tightest_down(root, v2_path), tightest_down(root / "cpu", v1_path));
}

namespace {

double process_cpu_limit() {
  std::ifstream in("/proc/self/cgroup");
  std::stringstream text;
  text << in.rdbuf();
  return cgroup_cpu_limit("/sys/fs/cgroup", text.str());
}

}  // namespace

size_t available_cores() {
  cpu_set_t set;
  size_t cores = 1;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cores = static_cast<size_t>(CPU_COUNT(&set));
  if (const double limit = process_cpu_limit(); limit > 0) {
    cores = std::min(cores, static_cast<size_t>(std::ceil(limit)));
  }
  return cores < 1 ? 1 : cores;
}

namespace {
std::atomic<size_t> g_compute_threads{0};  // 0: never set, OpenMP's default
}  // namespace

void set_compute_threads(size_t n) {
  g_compute_threads.store(n < 1 ? 1 : n);
  adopt_compute_threads();
}

size_t compute_threads() {
  const size_t n = g_compute_threads.load();
  return n ? n : static_cast<size_t>(omp_get_max_threads());
}

void adopt_compute_threads() {
  if (const size_t n = g_compute_threads.load()) set_num_threads(n);
}

void set_num_threads(size_t n) { omp_set_num_threads(static_cast<int>(n < 1 ? 1 : n)); }
size_t num_threads() { return static_cast<size_t>(omp_get_max_threads()); }

std::string openmp_wait_policy() {
  // libgomp: GOMP_SPINCOUNT, when set, overrides the spin count OMP_WAIT_POLICY implies.
  if (const char* spin = std::getenv("GOMP_SPINCOUNT"); spin && *spin) return std::string("spin ") + spin + " rounds";
  std::string policy = std::getenv("OMP_WAIT_POLICY") ? std::getenv("OMP_WAIT_POLICY") : "";
  for (char& c : policy) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (policy == "passive" || policy == "active") return policy;
  return "default spin";
}

void release_thread_pool() { omp_pause_resource_all(omp_pause_soft); }

}  // namespace verdict::kernels
