#include "verdict/runtime/explain.h"

#include <gtest/gtest.h>

#include "testing/testdata.h"
#include "verdict/model/postprocess.h"

namespace verdict::runtime {
namespace {

TEST(ExplainWordsTest, SplitsOnAnyWhitespaceWithCodePointAndByteOffsets) {
  const std::string text = "  Héllo,\twörld\u00a0!\u3000ok\n";
  const auto words = split_words(text);
  ASSERT_EQ(words.size(), 4u);
  EXPECT_EQ(words[0].word, "Héllo,");
  EXPECT_EQ(words[0].start, 2u);
  EXPECT_EQ(words[0].stop, 8u);
  EXPECT_EQ(words[0].byte_start, 2u);
  EXPECT_EQ(words[0].byte_stop, 9u);
  EXPECT_EQ(words[1].word, "wörld");
  EXPECT_EQ(words[1].start, 9u);
  EXPECT_EQ(words[1].stop, 14u);
  EXPECT_EQ(words[2].word, "!");
  EXPECT_EQ(words[2].start, 15u);
  EXPECT_EQ(words[3].word, "ok");
  EXPECT_EQ(words[3].start, 17u);
  EXPECT_EQ(text.substr(words[3].byte_start, words[3].byte_stop - words[3].byte_start), "ok");
  EXPECT_TRUE(split_words(" \t\n").empty());
  EXPECT_TRUE(split_words("").empty());
}

TEST(ExplainWordsTest, EachVariantLeavesOneWordOutJoinedBySingleSpaces) {
  const auto words = split_words("a  b\tc");
  const auto inputs = explanation_inputs("a  b\tc", words);
  ASSERT_EQ(inputs.size(), 4u);
  EXPECT_EQ(inputs[0].text, "a  b\tc");
  EXPECT_EQ(inputs[1].text, "b c");
  EXPECT_EQ(inputs[2].text, "a c");
  EXPECT_EQ(inputs[3].text, "a b");
  const auto one = explanation_inputs("alone", split_words("alone"));
  EXPECT_EQ(one[1].text, "");
}

TEST(ExplainWordsTest, WordCountIsCapped) {
  EXPECT_FALSE(check_word_count(0).ok());
  EXPECT_TRUE(check_word_count(kMaxExplainWords).ok());
  const auto st = check_word_count(kMaxExplainWords + 1);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("at most 128"), std::string::npos) << st.error().message;
}

class ExplainGoldenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = Pipeline::load((testing::testdata_dir() / "models" / "distilbert-sst2-tiny").string());
    ASSERT_TRUE(p.ok()) << p.error().message;
    pipeline_ = std::move(*p);
  }
  float score(const std::string& text, const std::string& label) {
    auto r = pipeline_->classify(std::vector<TextInput>{{text, std::nullopt}}, {});
    EXPECT_TRUE(r.ok());
    for (const auto& s : (*r)[0])
      if (s.label == label) return s.score;
    return -1;
  }
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(ExplainGoldenTest, ScoreIsTheGoldenOneAndWeightsAreScoreDrops) {
  const auto rows =
      testing::read_jsonl(testing::testdata_dir() / "models" / "distilbert-sst2-tiny" / "expected.jsonl");
  const auto& row = rows[6];  // a review of several words
  const std::string text = row["text"];
  auto e = explain(*pipeline_, text, {});
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->label, row["label"]);
  EXPECT_NEAR(e->score, row["score"].get<double>(), 1e-4);
  const auto words = split_words(text);
  ASSERT_EQ(e->words.size(), words.size());
  const auto inputs = explanation_inputs(text, words);
  for (size_t i = 0; i < words.size(); ++i) {
    EXPECT_NEAR(e->words[i].weight, e->score - score(inputs[i + 1].text, e->label), 1e-5) << words[i].word;
  }
}

TEST_F(ExplainGoldenTest, AnyLabelCanBeExplainedAndUnknownOnesAreRefused) {
  ExplainOptions options;
  options.label = "POSITIVE";
  auto e = explain(*pipeline_, "that was great", options);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->label, "POSITIVE");
  EXPECT_NEAR(e->score, score("that was great", "POSITIVE"), 1e-6);
  options.label = "MEH";
  auto bad = explain(*pipeline_, "that was great", options);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("NEGATIVE, POSITIVE"), std::string::npos);
  std::string many;
  for (size_t i = 0; i <= kMaxExplainWords; ++i) many += "w ";
  EXPECT_FALSE(explain(*pipeline_, many, {}).ok());
}

}  // namespace
}  // namespace verdict::runtime
