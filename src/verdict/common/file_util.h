// Reading whole files and memory-mapping large ones, with errors that name the file.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "verdict/common/error.h"

namespace verdict {

// Reads a whole (small) file; refuses files larger than max_bytes.
Result<std::string> read_file(const std::filesystem::path& path, size_t max_bytes = 256u << 20);

// A read-only private mapping of a whole file. Move-only; unmaps on destruction.
class MappedFile {
 public:
  static Result<MappedFile> open(const std::filesystem::path& path);
  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const unsigned char* data() const { return data_; }
  size_t size() const { return size_; }
  // Gives the whole pages inside [p, p + bytes) back to the kernel: they stop counting in RSS
  // and are read again from the file if touched. No-op for ranges outside the mapping.
  void drop_pages(const void* p, size_t bytes) const;

 private:
  unsigned char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace verdict
