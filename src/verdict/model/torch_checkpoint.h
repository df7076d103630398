// Reader for PyTorch state dicts saved with torch.save (`pytorch_model.bin`), in both formats:
// the zip archive of torch >= 1.6 (`<name>/data.pkl`, `<name>/data/<key>`, optional
// `<name>/byteorder`) and the legacy stream before it (magic number, protocol, sys_info, the data
// pickle, the storage keys, then each storage as an int64 element count and its bytes).
// The pickle is read by PickleReader with an allow-list of the handful of globals a plain state
// dict uses (collections.OrderedDict, torch._utils._rebuild_tensor(_v2), _rebuild_parameter,
// torch.<Type>Storage); anything else is refused by name. Nothing is ever imported or run.
// Every size, offset and stride is checked against the stored bytes before any is read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/model/safetensors.h"

namespace verdict::model {

struct TorchTensor {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<size_t> shape;
  std::vector<size_t> strides;  // in elements
  size_t storage = 0;           // index into the checkpoint's storages
  size_t offset = 0;            // in elements, into that storage
  size_t num_elements() const;
  size_t num_bytes() const { return num_elements() * dtype_size(dtype); }
  bool contiguous() const;
};

class TorchCheckpoint {
 public:
  // Materialised tensors may add up to this multiple of the file size (tied weights share a
  // storage); a file claiming more is refused instead of exhausting memory.
  static constexpr size_t kMaxExpansion = 4;
  static constexpr size_t kMaxRank = 8;

  static Result<std::unique_ptr<TorchCheckpoint>> open(const std::filesystem::path& path);
  // Parses bytes in memory (copied as needed); `source` names them in errors.
  static Result<std::unique_ptr<TorchCheckpoint>> parse(const unsigned char* data, size_t size,
                                                        const std::string& source);

  const std::vector<TorchTensor>& tensors() const { return tensors_; }  // in the file's order
  const TorchTensor* find(const std::string& name) const;
  // The tensor's elements, contiguous and little-endian (num_bytes() of them): in place when the
  // tensor already is contiguous, else a copy made on first use and kept. Not thread-safe.
  const unsigned char* data(const TorchTensor& tensor);
  const std::string& source() const { return source_; }
  const char* format() const { return zip_ ? "zip" : "legacy"; }

 private:
  friend class TorchCheckpointParser;
  struct Storage {
    std::string key;
    DType dtype = DType::kF32;
    size_t num_elements = 0;
    bool loaded = false;
    std::vector<unsigned char> bytes;
  };
  std::string source_;
  bool zip_ = false;
  std::vector<Storage> storages_;
  std::vector<TorchTensor> tensors_;
  std::map<std::string, size_t> by_name_;
  std::map<size_t, std::vector<unsigned char>> contiguous_copies_;
};

// The torch.<Type>Storage class name for a dtype, and back ("FloatStorage" <-> kF32).
const char* torch_storage_name(DType dtype);

}  // namespace verdict::model
