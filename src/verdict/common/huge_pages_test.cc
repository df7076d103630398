#include "verdict/common/huge_pages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

namespace verdict {
namespace {

TEST(HugePageVectorTest, LargeBuffersAreAlignedToHugePagesAndZeroed) {
  HugePageVector<float> v(3 * kHugePageBytes / sizeof(float) + 5);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(v.data()) % kHugePageBytes, 0u);
  for (size_t i = 0; i < v.size(); i += 4099) EXPECT_EQ(v[i], 0.f);
  v.back() = 1.f;  // the last element, past the whole pages, is mapped too
  v.resize(v.size() * 2);  // grows by copying into a new mapping and unmapping the old one
  EXPECT_EQ(v[v.size() / 2 - 1], 1.f);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(v.data()) % kHugePageBytes, 0u);
}

TEST(HugePageVectorTest, SmallBuffersUseTheOrdinaryHeap) {
  HugePageVector<uint8_t> small(100, 7);
  EXPECT_EQ(small[99], 7);
  small.resize(kHugePageBytes + 1);  // crosses the threshold
  EXPECT_EQ(small[0], 7);
  EXPECT_EQ(small[kHugePageBytes], 0);
}

TEST(HugePageBufferTest, LargeAndSmallBuffersAreZeroedAndMove) {
  for (size_t bytes : {size_t{0}, size_t{100}, kHugePageBytes + 4097}) {
    HugePageBuffer b(bytes);
    ASSERT_EQ(b.size(), bytes);
    if (bytes >= kHugePageBytes) {  // braces: EXPECT_EQ expands to an if/else
      EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % kHugePageBytes, 0u);
    }
    for (size_t i = 0; i < bytes; i += 997) EXPECT_EQ(b.data()[i], 0);
    if (bytes == 0) continue;
    b.data()[bytes - 1] = 9;  // the tail past the whole pages is mapped too
    HugePageBuffer moved(std::move(b));
    EXPECT_EQ(b.size(), 0u);
    EXPECT_EQ(moved.data()[bytes - 1], 9);
    HugePageBuffer assigned(10);
    assigned = std::move(moved);  // frees its own 10 bytes
    EXPECT_EQ(assigned.size(), bytes);
    EXPECT_EQ(assigned.data()[bytes - 1], 9);
  }
}

}  // namespace
}  // namespace verdict
