// Buffered byte-at-a-time reading of a stream, counting what was consumed (for progress).
#pragma once

#include <cstdint>
#include <istream>
#include <vector>

namespace verdict::batch {

class ByteSource {
 public:
  static constexpr int kEof = -1;
  explicit ByteSource(std::istream& in, size_t buffer_bytes = 64 << 10);

  int peek() { return pos_ < end_ || refill() ? static_cast<unsigned char>(buf_[pos_]) : kEof; }
  int get() {
    if (pos_ >= end_ && !refill()) return kEof;
    ++consumed_;
    return static_cast<unsigned char>(buf_[pos_++]);
  }
  // Skips a UTF-8 byte order mark at the very start; true if there was one.
  bool skip_bom();
  uint64_t consumed() const { return consumed_; }
  // True when the stream failed for another reason than its end (an I/O error).
  bool failed() const { return io_error_; }

 private:
  bool refill();
  std::istream& in_;
  std::vector<char> buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  uint64_t consumed_ = 0;
  bool io_error_ = false;
};

}  // namespace verdict::batch
