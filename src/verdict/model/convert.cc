#include "verdict/model/convert.h"

#include "verdict/model/safetensors.h"
#include "verdict/model/torch_checkpoint.h"

namespace verdict::model {

Result<ConversionSummary> convert_to_safetensors(const std::filesystem::path& dir, bool overwrite) {
  ConversionSummary summary;
  summary.input = dir / "pytorch_model.bin";
  summary.output = dir / "model.safetensors";
  std::error_code ec;
  if (!std::filesystem::exists(summary.input, ec)) {
    return make_error(ErrorCode::kNotFound, summary.input.string() + ": no such file");
  }
  if (!overwrite && std::filesystem::exists(summary.output, ec)) {
    return make_error(ErrorCode::kInvalidArgument,
                      summary.output.string() + " already exists; pass --force to overwrite it");
  }
  auto ckpt = TorchCheckpoint::open(summary.input);
  if (!ckpt.ok()) return ckpt.error();
  summary.input_format = (*ckpt)->format();
  std::vector<RawTensorToWrite> tensors;
  for (const TorchTensor& t : (*ckpt)->tensors()) {
    tensors.push_back({t.name, t.dtype, t.shape, (*ckpt)->data(t)});
    summary.bytes += t.num_bytes();
  }
  summary.tensors = tensors.size();
  // transformers refuses a safetensors file without this metadata (string values only).
  if (auto st = write_safetensors_raw(summary.output, tensors, {{"format", "pt"}}); !st.ok()) return st.error();
  return summary;
}

}  // namespace verdict::model
