// Buffers of megabytes on transparent huge pages (2 MB) where the kernel allows it.
//
// Why: a batch streams tens of megabytes of weights and activations per layer, and attention
// reads 256-byte pieces of rows 9 KB apart; with 4 KB pages nearly every such access misses the
// TLB. Debian's default THP mode is "madvise", so anonymous memory gets huge pages only when
// asked. Measured on mixed int8 batches: +7 % throughput (README, Performance).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace verdict {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

// Maps `bytes` (a multiple of 4 KB) at an address aligned to kHugePageBytes, zero-filled, advised
// MADV_HUGEPAGE; throws std::bad_alloc when the mapping fails. The whole 2 MB pages inside go on
// huge pages; the tail stays on 4 KB pages, so a 2.4 MB buffer costs 2.4 MB, not 4.
void* map_huge_pages(size_t bytes);
void unmap_huge_pages(void* p, size_t bytes);
// What map_huge_pages maps for a buffer of `bytes`: whole 4 KB pages.
inline size_t page_rounded_bytes(size_t bytes) { return (bytes + 4095) / 4096 * 4096; }

// std::allocator for small requests, map_huge_pages for those of kHugePageBytes and more.
template <class T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}

  static size_t mapped_bytes(size_t n) { return page_rounded_bytes(n * sizeof(T)); }
  T* allocate(size_t n) {
    if (n * sizeof(T) < kHugePageBytes) return std::allocator<T>().allocate(n);
    return static_cast<T*>(map_huge_pages(mapped_bytes(n)));
  }
  void deallocate(T* p, size_t n) noexcept {
    if (n * sizeof(T) < kHugePageBytes) return std::allocator<T>().deallocate(p, n);
    unmap_huge_pages(p, mapped_bytes(n));
  }
  template <class U>
  bool operator==(const HugePageAllocator<U>&) const noexcept { return true; }
};

template <class T>
using HugePageVector = std::vector<T, HugePageAllocator<T>>;

// A fixed-size byte buffer, zero-filled, on huge pages from kHugePageBytes up. Unlike
// HugePageVector it writes nothing itself: large ones are zero because fresh mappings are, so
// their pages are first touched (faulted in and cleared by the kernel) by whoever fills them,
// e.g. a weight reorder running on every core, rather than by one thread's memset at start-up.
class HugePageBuffer {
 public:
  HugePageBuffer() = default;
  explicit HugePageBuffer(size_t bytes);
  ~HugePageBuffer();
  HugePageBuffer(HugePageBuffer&& other) noexcept;
  HugePageBuffer& operator=(HugePageBuffer&& other) noexcept;
  HugePageBuffer(const HugePageBuffer&) = delete;
  HugePageBuffer& operator=(const HugePageBuffer&) = delete;

  unsigned char* data() { return data_; }
  const unsigned char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  unsigned char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace verdict
