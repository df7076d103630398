// Every XLM-R golden case of the Rust tokenizers library, from the folder's tokenizer.json and
// from its sentencepiece.bpe.model alone.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "testing/testdata.h"
#include "verdict/tokenizer/folder_config.h"
#include "verdict/tokenizer/golden_rows.h"
#include "verdict/tokenizer/sentencepiece_model.h"
#include "verdict/tokenizer/tokenizer.h"
#include "verdict/tokenizer/tokenizer_json.h"

namespace verdict::tokenizer {
namespace {

namespace fs = std::filesystem;

fs::path xlmr_dir() { return verdict::testing::model_dir("xlmr-sentiment-tiny"); }

TEST(XlmrGoldenTest, TokenizerJsonMatchesEveryReferenceCase) {
  auto tokenizer = load_tokenizer(xlmr_dir());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  EXPECT_EQ((*tokenizer)->kind(), "Unigram");
  EXPECT_EQ((*tokenizer)->vocab_size(), 8002u);
  EXPECT_EQ((*tokenizer)->pad_id(), 1);
  expect_golden_rows(**tokenizer, verdict::testing::testdata_dir() / "tokenizer" / "xlmr.jsonl",
             "xlmr.jsonl (tokenizer.json)");
}

TEST(XlmrGoldenTest, SentencepieceModelAloneMatchesEveryReferenceCase) {
  auto config = read_folder_config(xlmr_dir());
  ASSERT_TRUE(config.ok()) << config.error().message;
  auto tokenizer = load_sentencepiece_model(xlmr_dir() / "sentencepiece.bpe.model", *config);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  EXPECT_EQ((*tokenizer)->vocab_size(), 8002u);
  EXPECT_EQ((*tokenizer)->token_to_id("<mask>"), 8001);
  EXPECT_EQ((*tokenizer)->pad_id(), 1);
  expect_golden_rows(**tokenizer, verdict::testing::testdata_dir() / "tokenizer" / "xlmr.jsonl",
             "xlmr.jsonl (sentencepiece.bpe.model)");
}

// 600 x: many segmentations tie in exact arithmetic; which one wins depends on scores parsed as
// Rust's serde_json parses them (1 ulp off for "xxxxxxxxxxxxxxx"). Ids from the Rust library
// (tokenizers 0.13.3, npm) on this folder's tokenizer.json.
TEST(XlmrGoldenTest, BreaksTiesWithTheScoresRustParsesFromTheJson) {
  auto tokenizer = load_tokenizer(xlmr_dir());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  auto e = (*tokenizer)->encode(std::string(600, 'x'), std::nullopt, {});
  ASSERT_TRUE(e.ok());
  const std::vector<int32_t> expected = {
      0,    4,    3152, 3152, 1100, 3152, 1100, 1100, 3152, 1100, 1100, 1100, 1100, 1100, 1100,
      3152, 1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100, 3152,
      1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100, 3152, 3152, 3152, 3152, 3152, 3152, 2};
  EXPECT_EQ(e->ids, expected);
}

TEST(XlmrGoldenTest, ModelFolderGivesTheExpectedIds) {
  auto tokenizer = load_tokenizer(xlmr_dir());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  expect_golden_rows(**tokenizer, xlmr_dir() / "expected.jsonl", "xlmr-sentiment-tiny/expected.jsonl");
}

}  // namespace
}  // namespace verdict::tokenizer
