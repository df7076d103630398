// `verdict convert`: a folder's pytorch_model.bin rewritten as model.safetensors, so later starts
// map the weights instead of reading the pickle. Tensors keep their dtype and bytes exactly.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "verdict/common/error.h"

namespace verdict::model {

struct ConversionSummary {
  std::filesystem::path input, output;
  std::string input_format;  // "zip" or "legacy"
  size_t tensors = 0;
  size_t bytes = 0;  // tensor data written
};

// Reads dir/pytorch_model.bin, writes dir/model.safetensors (metadata {"format": "pt"}, as
// transformers requires) atomically. An existing model.safetensors is kept unless `overwrite`.
Result<ConversionSummary> convert_to_safetensors(const std::filesystem::path& dir, bool overwrite);

}  // namespace verdict::model
