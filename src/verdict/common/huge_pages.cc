#include "verdict/common/huge_pages.h"

#include <sys/mman.h>

#include <cstdint>
#include <new>
#include <utility>

namespace verdict {

void* map_huge_pages(size_t bytes) {
  // Over-map by one huge page, then give back the unaligned head and tail.
  const size_t span = bytes + kHugePageBytes;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t end = start + span, used_end = aligned + bytes;
  if (end > used_end) munmap(reinterpret_cast<void*>(used_end), end - used_end);
  // Advice only: where THP is off the mapping still works, on 4 KB pages.
  madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);
  return reinterpret_cast<void*>(aligned);
}

void unmap_huge_pages(void* p, size_t bytes) { munmap(p, bytes); }

HugePageBuffer::HugePageBuffer(size_t bytes) : size_(bytes) {
  if (bytes >= kHugePageBytes) data_ = static_cast<unsigned char*>(map_huge_pages(page_rounded_bytes(bytes)));
  else if (bytes > 0) data_ = new unsigned char[bytes]();
}

HugePageBuffer::~HugePageBuffer() {
  if (size_ >= kHugePageBytes) unmap_huge_pages(data_, page_rounded_bytes(size_));
  else delete[] data_;
}

HugePageBuffer::HugePageBuffer(HugePageBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

HugePageBuffer& HugePageBuffer::operator=(HugePageBuffer&& other) noexcept {
  if (this != &other) {
    HugePageBuffer old(std::move(*this));
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

}  // namespace verdict
