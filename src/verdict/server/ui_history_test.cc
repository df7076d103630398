#include "verdict/server/ui_history.h"

#include <gtest/gtest.h>

namespace verdict::server {
namespace {

using Clock = UiHistory::Clock;

TEST(UiHistoryTest, OffRecordsNothing) {
  UiHistory h(0);
  h.record("predict", "bad", "NEGATIVE", 0.9f);
  h.record_alert("discord alert", "bad", "NEGATIVE", 0.9f, "ann");
  const auto j = h.snapshot();
  EXPECT_EQ(j["enabled"], false);
  EXPECT_TRUE(j["recent"].empty());
  EXPECT_TRUE(j["alerts"].empty());
  EXPECT_TRUE(j["series"].empty());
}

TEST(UiHistoryTest, KeepsTheLastNNewestFirstAndCountsLabelsPerMinute) {
  UiHistory h(2);
  const auto t0 = Clock::time_point(std::chrono::minutes(29'000'000));
  h.record("predict", "one", "NEGATIVE", 0.9f, t0);
  h.record("predict", "two", "POSITIVE", 0.8f, t0 + std::chrono::seconds(10));
  h.record("explain", "three", "NEGATIVE", 0.7f, t0 + std::chrono::minutes(1));
  const auto j = h.snapshot(t0 + std::chrono::minutes(2));
  ASSERT_EQ(j["recent"].size(), 2u);
  EXPECT_EQ(j["recent"][0]["text"], "three");
  EXPECT_EQ(j["recent"][0]["source"], "explain");
  EXPECT_EQ(j["recent"][1]["text"], "two");
  ASSERT_EQ(j["series"].size(), 2u) << "counts outlive the N texts";
  EXPECT_EQ(j["series"][0]["counts"]["NEGATIVE"], 1);
  EXPECT_EQ(j["series"][0]["counts"]["POSITIVE"], 1);
  EXPECT_EQ(j["series"][1]["counts"]["NEGATIVE"], 1);
  // An hour later the old minutes are gone.
  EXPECT_TRUE(h.snapshot(t0 + std::chrono::minutes(90))["series"].empty());
}

TEST(UiHistoryTest, LongTextsAreCutOnACharacterBoundary) {
  UiHistory h(1);
  std::string text(kUiHistoryTextBytes - 1, 'a');
  text += "é and more";
  h.record("predict", text, "NEGATIVE", 0.5f);
  const std::string kept = h.snapshot()["recent"][0]["text"];
  EXPECT_EQ(kept, std::string(kUiHistoryTextBytes - 1, 'a') + "…");
}

TEST(UiHistoryTest, AlertsAreKeptWithTheirDestinationAndAuthor) {
  UiHistory h(4);
  h.record_alert("discord alert", "broken parcel", "NEGATIVE", 0.95f, "ann");
  const auto j = h.snapshot();
  ASSERT_EQ(j["alerts"].size(), 1u);
  EXPECT_EQ(j["alerts"][0]["destination"], "discord alert");
  EXPECT_EQ(j["alerts"][0]["author"], "ann");
  EXPECT_TRUE(j["recent"].empty());
}

}  // namespace
}  // namespace verdict::server
