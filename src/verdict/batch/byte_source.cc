#include "verdict/batch/byte_source.h"

#include <cstring>

namespace verdict::batch {

ByteSource::ByteSource(std::istream& in, size_t buffer_bytes) : in_(in), buf_(buffer_bytes < 4 ? 4 : buffer_bytes) {}

bool ByteSource::refill() {
  // Keep unread bytes (skip_bom may need three at once).
  const size_t left = end_ - pos_;
  if (left) std::memmove(buf_.data(), buf_.data() + pos_, left);
  pos_ = 0;
  end_ = left;
  if (!in_.good()) return end_ > 0;
  in_.read(buf_.data() + end_, static_cast<std::streamsize>(buf_.size() - end_));
  end_ += static_cast<size_t>(in_.gcount());
  if (in_.bad()) io_error_ = true;
  return end_ > pos_;
}

bool ByteSource::skip_bom() {
  while (end_ - pos_ < 3 && in_.good()) {
    const size_t before = end_ - pos_;
    refill();
    if (end_ - pos_ == before) break;
  }
  if (end_ - pos_ >= 3 && std::memcmp(buf_.data() + pos_, "\xEF\xBB\xBF", 3) == 0) {
    pos_ += 3;
    consumed_ += 3;
    return true;
  }
  return false;
}

}  // namespace verdict::batch
