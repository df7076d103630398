// Reader for the safetensors format: an 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets}}, then the data. Every claim of the header is checked
// against the file before any byte of data is touched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/common/file_util.h"

namespace verdict::model {

enum class DType { kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool, kF8E4M3, kF8E5M2 };

size_t dtype_size(DType dtype);
std::string_view dtype_name(DType dtype);

struct TensorInfo {
  DType dtype = DType::kF32;
  std::vector<size_t> shape;
  size_t begin = 0;  // byte offsets into the data section
  size_t end = 0;
  size_t num_elements() const;
};

// A validated, memory-mapped safetensors file. Immutable; safe to share between threads.
class SafetensorsFile {
 public:
  static Result<SafetensorsFile> open(const std::filesystem::path& path);
  // Parses a file already in memory (used by open() and by the fuzzer); `source` names it.
  static Result<SafetensorsFile> parse(MappedFile file, const std::string& source);

  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const TensorInfo* find(const std::string& name) const;
  const unsigned char* data(const TensorInfo& info) const { return data_ + info.begin; }
  const std::string& source() const { return source_; }
  void drop_pages(const void* p, size_t bytes) const { file_.drop_pages(p, bytes); }

 private:
  MappedFile file_;
  const unsigned char* data_ = nullptr;  // start of the data section inside file_
  std::string source_;
  std::map<std::string, TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Parses only the header bytes (after the 8-byte length) against a data section of
// `data_size` bytes. Exposed for tests and fuzzing.
Result<std::map<std::string, TensorInfo>> parse_safetensors_header(
    std::string_view header, size_t data_size, const std::string& source,
    std::map<std::string, std::string>* metadata);

// Writes tensors (F32 data given as floats, stored as `dtype` F32/F16/BF16) in safetensors layout.
struct TensorToWrite {
  std::string name;
  std::vector<size_t> shape;
  const float* data = nullptr;
};
Status write_safetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors,
                         DType dtype, const std::map<std::string, std::string>& metadata);

// Writes tensors as stored (any dtype, bytes contiguous little-endian) in safetensors layout,
// data in the given order. Atomic: a temporary file in the same folder, synced, then renamed,
// so a crash never leaves a partial `path`.
struct RawTensorToWrite {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<size_t> shape;
  const unsigned char* data = nullptr;  // num_elements × dtype_size bytes
};
Status write_safetensors_raw(const std::filesystem::path& path, const std::vector<RawTensorToWrite>& tensors,
                             const std::map<std::string, std::string>& metadata);

// IEEE half / bfloat16 <-> float, round-to-nearest-even.
float half_to_float(uint16_t h);
float bf16_to_float(uint16_t b);
uint16_t float_to_half(float f);
uint16_t float_to_bf16(float f);

}  // namespace verdict::model
