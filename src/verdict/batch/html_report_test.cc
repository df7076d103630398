#include "verdict/batch/html_report.h"

#include <gtest/gtest.h>

namespace verdict::batch {
namespace {

TEST(HtmlReportTest, SelfContainedWithChartsAndEscapedText) {
  EvalAccumulator e({"<neg>", "pos&"});
  e.add(0, 0, std::vector<float>{0.9f, 0.1f});
  e.add(1, 0, std::vector<float>{0.7f, 0.3f});
  const auto html = render_html_report(e, {"a<b>.csv", "model\"x", "0=<neg>", "2026-01-01 00:00 UTC", 2});
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<neg>"), std::string::npos);  // every label escaped
  EXPECT_NE(html.find("&lt;neg&gt;"), std::string::npos);
  EXPECT_NE(html.find("a&lt;b&gt;.csv"), std::string::npos);
  EXPECT_NE(html.find("pos&amp;"), std::string::npos);
  // No external assets: the only URL is the SVG namespace.
  size_t pos = 0, urls = 0;
  while ((pos = html.find("http", pos)) != std::string::npos) {
    EXPECT_EQ(html.compare(pos, 26, "http://www.w3.org/2000/svg"), 0) << html.substr(pos, 60);
    ++pos;
    ++urls;
  }
  EXPECT_GE(urls, 4u);  // confusion, histogram, calibration, threshold
  EXPECT_NE(html.find("aria-label='confusion matrix'"), std::string::npos);
  EXPECT_NE(html.find("aria-label='accuracy by threshold'"), std::string::npos);
  EXPECT_NE(html.find("<b>0.500</b>"), std::string::npos);  // accuracy
}

TEST(HtmlReportTest, ManyLabelsStillRender) {
  std::vector<std::string> labels;
  for (int i = 0; i < 30; ++i) labels.push_back("l" + std::to_string(i));
  EvalAccumulator e(labels);
  std::vector<float> s(30, 1.0f / 30);
  e.add(3, 4, s);
  const auto html = render_html_report(e, {});
  EXPECT_NE(html.find("</html>"), std::string::npos);
  EXPECT_EQ(html.find("accuracy by threshold"), std::string::npos);
}

}  // namespace
}  // namespace verdict::batch
