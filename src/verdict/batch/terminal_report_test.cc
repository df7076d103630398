#include "verdict/batch/terminal_report.h"

#include <gtest/gtest.h>

namespace verdict::batch {
namespace {

TEST(TerminalReportTest, EvalTextStartsWithAccuracyLine) {
  EvalAccumulator e({"NEGATIVE", "POSITIVE"});
  for (int i = 0; i < 7; ++i) e.add(1, 1, std::vector<float>{0.2f, 0.8f});
  for (int i = 0; i < 3; ++i) e.add(0, 1, std::vector<float>{0.4f, 0.6f});
  const auto text = render_eval_text(e);
  EXPECT_EQ(text.substr(0, text.find('\n')), "accuracy: 0.700");
  EXPECT_NE(text.find("NEGATIVE          0.000      0.000      0.000          3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("POSITIVE          0.700      1.000      0.824          7\n"), std::string::npos);
  EXPECT_NE(text.find("confusion matrix"), std::string::npos);
  EXPECT_NE(text.find("NEGATIVE             0         3\n"), std::string::npos) << text;
}

TEST(TerminalReportTest, HistogramScalesToTheLargestBin) {
  const auto h = draw_histogram({0, 2, 4}, 0, 1.5, 4);
  EXPECT_NE(h.find("0.00-0.50 │ 0\n"), std::string::npos) << h;
  EXPECT_NE(h.find("0.50-1.00 │██ 2\n"), std::string::npos) << h;
  EXPECT_NE(h.find("1.00-1.50 │████ 4\n"), std::string::npos) << h;
}

TEST(TerminalReportTest, ProgressWithAndWithoutKnownSize) {
  EXPECT_EQ(format_progress(100, 10, std::nullopt, 2.0), "100 rows  50.0 rows/s");
  const auto p = format_progress(100, 50, 100, 2.0);
  EXPECT_EQ(p, "[############............]  50%  100 rows  50.0 rows/s  ETA 0:02");
}

TEST(TerminalReportTest, SummaryCountsLabels) {
  ScoreSummary s;
  s.add("POSITIVE", 0.95f);
  s.add("NEGATIVE", 0.55f);
  s.add("POSITIVE", 0.75f);
  const auto text = s.render(2.0, 1, {"in.csv line 3: bad"});
  EXPECT_NE(text.find("3 rows in 2.0 s (1.5 rows/s)"), std::string::npos) << text;
  EXPECT_NE(text.find("POSITIVE        2   66.7%"), std::string::npos) << text;
  EXPECT_NE(text.find("1 invalid rows skipped"), std::string::npos);
  EXPECT_NE(text.find("  0.50-0.55 │"), std::string::npos) << text;  // two labels: from 0.5
  EXPECT_NE(text.find("  0.95-1.00 │"), std::string::npos) << text;
  EXPECT_EQ(format_duration(3725), "1:02:05");
}

}  // namespace
}  // namespace verdict::batch
