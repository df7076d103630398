#include "verdict/batch/batch_runner.h"

#include <gtest/gtest.h>

#include <sstream>

#include "testing/testdata.h"

namespace verdict::batch {
namespace {

std::unique_ptr<runtime::Pipeline> tiny() {
  auto p = runtime::Pipeline::load((testing::testdata_dir() / "models" / "distilbert-sst2-tiny").string());
  EXPECT_TRUE(p.ok()) << p.error().message;
  return p.ok() ? std::move(*p) : nullptr;
}

std::vector<std::string> texts(size_t n) {
  std::vector<std::string> out;
  const std::vector<std::string> words = {"great", "awful", "the", "service", "was", "not", "bad", "really",
                                          "food", "cold", "héllo", "!"};
  for (size_t i = 0; i < n; ++i) {
    std::string t;
    for (size_t k = 0; k < 1 + (i * 7) % 23; ++k) t += words[(i * 5 + k * 3) % words.size()] + " ";
    out.push_back(t);
  }
  return out;
}

std::unique_ptr<RecordReader> jsonl_reader(std::istringstream& in) {
  ReaderOptions o;
  o.format = Format::kJsonl;
  o.source_name = "in.jsonl";
  auto r = RecordReader::open(in, o);
  EXPECT_TRUE(r.ok());
  return std::move(*r);
}

std::string as_jsonl(const std::vector<std::string>& ts) {
  std::string s;
  for (const auto& t : ts) s += "{\"text\":\"" + t + "\"}\n";
  return s;
}

TEST(BatchRunnerTest, StreamsInInputOrderWithTheSameScoresAsClassify) {
  auto pipeline = tiny();
  ASSERT_TRUE(pipeline);
  const auto ts = texts(500);
  std::vector<runtime::TextInput> inputs;
  for (const auto& t : ts) inputs.push_back({t, std::nullopt});
  auto expected = pipeline->classify(inputs, {});
  ASSERT_TRUE(expected.ok());

  // Small chunks, a small window and small batches: many batches cross chunk boundaries.
  std::istringstream in(as_jsonl(ts));
  auto reader = jsonl_reader(in);
  RunOptions o;
  o.chunk_rows = 7;
  o.max_chunks_in_flight = 3;
  o.classify.max_batch_tokens = 64;
  std::vector<std::string> seen;
  std::vector<size_t> progress_rows;
  size_t i = 0;
  auto stats = run_batch(
      *pipeline, *reader, o,
      [&](const Record& r, const std::vector<model::LabelScore>& scores) -> Status {
        seen.push_back(r.text);
        // Other batch compositions sum in another order: equal to float rounding, not bitwise
        // (so a score within rounding of 0.5 may even pick the other label).
        EXPECT_EQ(scores.size(), 2u);
        for (const auto& want : (*expected)[i]) {
          for (const auto& got : scores) {
            if (got.id == want.id) {
              EXPECT_NEAR(got.score, want.score, 1e-5) << i;
            }
          }
        }
        ++i;
        return {};
      },
      {}, [&](size_t rows, uint64_t) { progress_rows.push_back(rows); });
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  EXPECT_EQ(stats->rows, 500u);
  EXPECT_EQ(seen, ts);
  ASSERT_FALSE(progress_rows.empty());
  EXPECT_EQ(progress_rows.back(), 500u);
  EXPECT_TRUE(std::is_sorted(progress_rows.begin(), progress_rows.end()));
}

TEST(BatchRunnerTest, StopsAtTheFirstInvalidRowAfterHandingOverTheRowsBefore) {
  auto pipeline = tiny();
  ASSERT_TRUE(pipeline);
  std::istringstream in("{\"text\":\"a\"}\n{\"text\":\"b\"}\n{\"txt\":\"c\"}\n{\"text\":\"d\"}\n");
  auto reader = jsonl_reader(in);
  std::vector<std::string> seen;
  auto stats = run_batch(*pipeline, *reader, {}, [&](const Record& r, const auto&) -> Status {
    seen.push_back(r.text);
    return {};
  });
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.error().message, "in.jsonl line 3, field \"text\": missing (choose the text field with --column)");
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
}

TEST(BatchRunnerTest, SkipInvalidCountsAndGoesOn) {
  auto pipeline = tiny();
  ASSERT_TRUE(pipeline);
  std::istringstream in("{\"text\":\"a\"}\nnope\n{\"text\":\"b\"}\n{\"text\":3}\n{\"text\":\"c\"}\n");
  auto reader = jsonl_reader(in);
  RunOptions o;
  o.skip_invalid = true;
  std::vector<std::string> seen;
  auto stats = run_batch(*pipeline, *reader, o, [&](const Record& r, const auto&) -> Status {
    seen.push_back(r.text);
    return {};
  });
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->skipped, 2u);
  EXPECT_EQ(stats->rows, 3u);
  ASSERT_EQ(stats->first_skipped.size(), 2u);
  EXPECT_NE(stats->first_skipped[0].find("in.jsonl line 2"), std::string::npos);
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(BatchRunnerTest, TooLongWithoutTruncationNamesTheLine) {
  auto pipeline = tiny();
  ASSERT_TRUE(pipeline);
  std::string long_text;
  for (int i = 0; i < 600; ++i) long_text += "word ";
  std::istringstream in("{\"text\":\"ok\"}\n{\"text\":\"" + long_text + "\"}\n");
  auto reader = jsonl_reader(in);
  RunOptions o;
  o.classify.truncate = false;
  auto stats = run_batch(*pipeline, *reader, o, [](const Record&, const auto&) -> Status { return {}; });
  ASSERT_FALSE(stats.ok());
  EXPECT_NE(stats.error().message.find("in.jsonl line 2, field \"text\": 602 tokens"), std::string::npos)
      << stats.error().message;
}

TEST(BatchRunnerTest, CheckErrorStopsTheRun) {
  auto pipeline = tiny();
  ASSERT_TRUE(pipeline);
  std::istringstream in("{\"text\":\"a\"}\n{\"text\":\"stop\"}\n");
  auto reader = jsonl_reader(in);
  auto stats = run_batch(
      *pipeline, *reader, {}, [](const Record&, const auto&) -> Status { return {}; },
      [](const Record& r) -> Status {
        if (r.text == "stop") return make_error(ErrorCode::kInvalidArgument, "stopped");
        return {};
      });
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.error().message, "stopped");
}

}  // namespace
}  // namespace verdict::batch
