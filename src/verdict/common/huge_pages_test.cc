#include "verdict/common/huge_pages.h"

#include <gtest/gtest.h>

#include <cstdint>

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

}  // namespace
}  // namespace verdict
