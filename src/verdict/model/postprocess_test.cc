#include "verdict/model/postprocess.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace verdict::model {
namespace {

// The margin the fp32 recheck of --dtype auto is decided on.
TEST(TopTwoMarginTest, IsTheTopLogitMinusTheNextWhateverTheirOrder) {
  EXPECT_FLOAT_EQ(top_two_margin(std::vector<float>{0.5f, 2.0f}), 1.5f);
  EXPECT_FLOAT_EQ(top_two_margin(std::vector<float>{-1.f, 3.f, 2.5f}), 0.5f);
  EXPECT_FLOAT_EQ(top_two_margin(std::vector<float>{3.f, -1.f, 3.f}), 0.f);  // a tie is the closest call
  EXPECT_TRUE(std::isinf(top_two_margin(std::vector<float>{1.f})));       // one logit: nothing to flip
  EXPECT_TRUE(std::isnan(top_two_margin(std::vector<float>{1.f, NAN})));  // never "clear"
}

TEST(CheckFiniteTest, RefusesNanAndInfinityNamingTheLikelyCause) {
  EXPECT_TRUE(check_finite(std::vector<float>{-80.f, 3.f}).ok());
  for (float bad : {NAN, INFINITY, -INFINITY}) {
    const auto st = check_finite(std::vector<float>{1.f, bad});
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::kCorruptModel);
    EXPECT_NE(st.error().message.find("NaN or infinite weights"), std::string::npos);
  }
}

}  // namespace
}  // namespace verdict::model
