// Reproducible normal-distributed inputs for the kernels' tests and benchmarks.
#pragma once

#include <cstddef>
#include <random>
#include <vector>

namespace verdict::kernels {

inline std::vector<float> random_vector(size_t n, unsigned seed, float scale = 1.f, float shift = 0.f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(shift, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

}  // namespace verdict::kernels
