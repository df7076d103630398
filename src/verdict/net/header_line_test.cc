#include "verdict/net/header_line.h"

#include <gtest/gtest.h>

namespace verdict::net {
namespace {

TEST(HeaderLineTest, NamesAreLowerCasedAndValuesTrimmed) {
  const auto h = parse_header_line("X-Repo-Commit: \t abc123 \r\n");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->first, "x-repo-commit");
  EXPECT_EQ(h->second, "abc123");
  // Only the first colon splits: values such as URLs and times keep theirs.
  EXPECT_EQ(parse_header_line("Location: https://example.com:8443/a\r\n")->second, "https://example.com:8443/a");
  EXPECT_EQ(parse_header_line("Retry-After:\r\n")->second, "");
}

TEST(HeaderLineTest, StatusAndBlankLinesAreNotHeaders) {
  EXPECT_FALSE(parse_header_line("HTTP/1.1 100 Continue\r\n").has_value());
  EXPECT_FALSE(parse_header_line("HTTP/2 200\r\n").has_value());
  EXPECT_FALSE(parse_header_line("\r\n").has_value());
  EXPECT_FALSE(parse_header_line(": no name\r\n").has_value());
  EXPECT_TRUE(is_status_line("HTTP/1.1 200 OK\r\n"));
  EXPECT_FALSE(is_status_line("Http-Thing: 1\r\n"));
}

}  // namespace
}  // namespace verdict::net
