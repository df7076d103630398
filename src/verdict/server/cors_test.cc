#include "verdict/server/cors.h"

#include <gtest/gtest.h>

namespace verdict::server {
namespace {

TEST(CorsTest, SplitsAndTrimsTheList) {
  EXPECT_EQ(split_origins(" https://a.example ,https://b.example:8443,, "),
            (std::vector<std::string>{"https://a.example", "https://b.example:8443"}));
}

TEST(CorsTest, AcceptsOriginsAndTheWildcardOnly) {
  EXPECT_TRUE(check_cors_allow_origin("*").ok());
  EXPECT_TRUE(check_cors_allow_origin("https://shop.example, http://localhost:3000").ok());
  EXPECT_TRUE(check_cors_allow_origin("chrome-extension://abcdef").ok());
  for (const char* bad : {"not an origin", "https://shop.example/", "shop.example", "https://", "*, https://a.example",
                          "https://a.example/path"}) {
    const auto st = check_cors_allow_origin(bad);
    EXPECT_FALSE(st.ok()) << bad;
    if (!st.ok()) {
      EXPECT_NE(st.error().message.find("is not an origin"), std::string::npos) << st.error().message;
    }
  }
}

}  // namespace
}  // namespace verdict::server
