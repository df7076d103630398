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

// std::allocator for small requests, map_huge_pages for those of kHugePageBytes and more.
template <class T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}

  static size_t mapped_bytes(size_t n) { return (n * sizeof(T) + 4095) / 4096 * 4096; }
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

}  // namespace verdict
