// Full-size model folders with random weights, for benchmarks (real shapes, no download).
#pragma once

#include <cstdint>
#include <filesystem>

#include "verdict/common/error.h"
#include "verdict/model/safetensors.h"

namespace verdict::model {

// Writes out_dir/{config.json, model.safetensors} from `config_path`, plus the tokenizer files
// found beside it. Weights follow the golden models' recipe so logits vary with the input.
Status write_random_model(const std::filesystem::path& config_path, const std::filesystem::path& out_dir,
                          uint64_t seed, DType dtype);

}  // namespace verdict::model
