#include "verdict/batch/eval_metrics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace verdict::batch {
namespace {

// Three labels, 10 rows; confusion (rows true, columns predicted):
//   A: 3 1 0     precision A = 3/4, recall A = 3/4
//   B: 1 2 1     precision B = 2/3, recall B = 2/4
//   C: 0 0 2     precision C = 2/3, recall C = 2/2
EvalAccumulator hand_example() {
  EvalAccumulator e({"A", "B", "C"});
  const std::vector<std::pair<size_t, size_t>> rows = {{0, 0}, {0, 0}, {0, 0}, {0, 1}, {1, 0},
                                                       {1, 1}, {1, 1}, {1, 2}, {2, 2}, {2, 2}};
  for (auto [t, p] : rows) {
    std::vector<float> s(3, 0.1f);
    s[p] = 0.8f;
    e.add(t, p, s);
  }
  return e;
}

TEST(EvalMetricsTest, ConfusionAndAccuracyByHand) {
  const auto e = hand_example();
  EXPECT_EQ(e.total(), 10u);
  EXPECT_EQ(e.correct(), 7u);
  EXPECT_DOUBLE_EQ(e.accuracy(), 0.7);
  const std::vector<std::vector<size_t>> expected = {{3, 1, 0}, {1, 2, 1}, {0, 0, 2}};
  EXPECT_EQ(e.confusion(), expected);
}

TEST(EvalMetricsTest, PrecisionRecallF1ByHand) {
  const auto m = hand_example().per_label();
  EXPECT_DOUBLE_EQ(m[0].precision, 0.75);
  EXPECT_DOUBLE_EQ(m[0].recall, 0.75);
  EXPECT_DOUBLE_EQ(m[0].f1, 0.75);
  EXPECT_DOUBLE_EQ(m[1].precision, 2.0 / 3);
  EXPECT_DOUBLE_EQ(m[1].recall, 0.5);
  EXPECT_NEAR(m[1].f1, 2 * (2.0 / 3) * 0.5 / (2.0 / 3 + 0.5), 1e-12);  // 4/7
  EXPECT_DOUBLE_EQ(m[2].precision, 2.0 / 3);
  EXPECT_DOUBLE_EQ(m[2].recall, 1.0);
  EXPECT_NEAR(m[2].f1, 0.8, 1e-12);
  EXPECT_EQ(m[1].support, 4u);
  EXPECT_EQ(m[1].predicted, 3u);
}

TEST(EvalMetricsTest, AveragesByHand) {
  const auto e = hand_example();
  const auto macro = e.macro_average();
  EXPECT_NEAR(macro.precision, (0.75 + 2.0 / 3 + 2.0 / 3) / 3, 1e-12);
  EXPECT_NEAR(macro.recall, (0.75 + 0.5 + 1.0) / 3, 1e-12);
  EXPECT_NEAR(macro.f1, (0.75 + 4.0 / 7 + 0.8) / 3, 1e-12);
  const auto weighted = e.weighted_average();
  EXPECT_NEAR(weighted.recall, 0.7, 1e-12);  // weighted recall is accuracy
  EXPECT_NEAR(weighted.f1, (0.75 * 4 + 4.0 / 7 * 4 + 0.8 * 2) / 10, 1e-12);
}

TEST(EvalMetricsTest, LabelNeverPredictedOrPresentScoresZeroNotNaN) {
  EvalAccumulator e({"A", "B"});
  e.add(0, 0, std::vector<float>{0.9f, 0.1f});
  const auto m = e.per_label();
  EXPECT_EQ(m[1].precision, 0);
  EXPECT_EQ(m[1].recall, 0);
  EXPECT_EQ(m[1].f1, 0);
  EXPECT_DOUBLE_EQ(e.accuracy(), 1.0);
}

TEST(EvalMetricsTest, HistogramsAndCalibration) {
  EvalAccumulator e({"NEG", "POS"});
  e.add(0, 0, std::vector<float>{0.95f, 0.05f});
  e.add(1, 0, std::vector<float>{0.65f, 0.35f});
  e.add(1, 1, std::vector<float>{0.0f, 1.0f});
  EXPECT_EQ(e.score_histogram(0, 1)[2], 1u);  // 0.05 * 50
  EXPECT_EQ(e.score_histogram(1, 1)[EvalAccumulator::kScoreBins - 1], 1u);  // 1.0 falls in the last bin
  EXPECT_EQ(e.score_histogram(1, 1)[17], 1u);                                // 0.35 * 50
  EXPECT_EQ(e.calibration()[9].count, 2u);  // 0.95 and 1.0
  EXPECT_EQ(e.calibration()[9].correct, 2u);
  EXPECT_EQ(e.calibration()[6].correct, 0u);
  // |1 - 0.975| * 2/3 + |0 - 0.65| * 1/3
  EXPECT_NEAR(e.expected_calibration_error(), 0.025 * 2 / 3 + 0.65 / 3, 1e-6);
}

TEST(EvalMetricsTest, ScoreBinClampsAndHandlesNaN) {
  EXPECT_EQ(score_bin(-1, 10), 0u);
  EXPECT_EQ(score_bin(2, 10), 9u);
  EXPECT_EQ(score_bin(std::nan(""), 10), 0u);
  EXPECT_EQ(score_bin(0.55, 10), 5u);
}

}  // namespace
}  // namespace verdict::batch
