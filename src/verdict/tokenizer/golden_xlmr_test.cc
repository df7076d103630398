// Every XLM-R golden case of the Rust tokenizers library, from the folder's tokenizer.json and
// from its sentencepiece.bpe.model alone.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "testing/testdata.h"
#include "verdict/tokenizer/folder_config.h"
#include "verdict/tokenizer/sentencepiece_model.h"
#include "verdict/tokenizer/tokenizer.h"
#include "verdict/tokenizer/tokenizer_json.h"

namespace verdict::tokenizer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kFailuresToPrint = 5;

fs::path xlmr_dir() { return verdict::testing::testdata_dir() / "models" / "xlmr-sentiment-tiny"; }

template <class T>
std::string joined(const std::vector<T>& values) {
  std::ostringstream out;
  for (size_t i = 0; i < values.size(); ++i) out << (i ? " " : "") << values[i];
  return out.str();
}

// Compares ids (and tokens and untruncated_length where the file has them) on every row.
void check_rows(const Tokenizer& tokenizer, const fs::path& path, const std::string& name) {
  const auto rows = verdict::testing::read_jsonl(path);
  ASSERT_FALSE(rows.empty()) << path;
  int mismatches = 0;
  std::ostringstream report;
  for (const json& row : rows) {
    const std::string text = row["text"].get<std::string>();
    std::optional<std::string> pair;
    if (row.contains("text_pair")) pair = row["text_pair"].get<std::string>();
    auto encoding = tokenizer.encode(text, pair ? std::optional<std::string_view>(*pair) : std::nullopt, {});
    std::string problem;
    if (!encoding.ok()) {
      problem = "error: " + encoding.error().message;
    } else if (const auto ids = row["input_ids"].get<std::vector<int32_t>>(); encoding->ids != ids) {
      problem = "ids\n      got      " + joined(encoding->ids) + "\n      expected " + joined(ids);
    } else if (row.contains("tokens") && encoding->tokens != row["tokens"].get<std::vector<std::string>>()) {
      problem = "tokens " + joined(encoding->tokens);
    } else if (row.contains("untruncated_length") &&
               encoding->untruncated_length != row["untruncated_length"].get<size_t>()) {
      problem = "untruncated_length " + std::to_string(encoding->untruncated_length);
    }
    if (problem.empty()) continue;
    if (++mismatches <= kFailuresToPrint) {
      report << "  text " << json(text).dump() << (pair ? " pair " + json(*pair).dump() : "") << ": "
             << problem << "\n";
    }
  }
  std::cout << "[ golden   ] " << name << ": " << rows.size() - mismatches << " of " << rows.size()
            << " cases identical\n";
  EXPECT_EQ(mismatches, 0) << mismatches << " of " << rows.size() << " cases of " << name
                           << " differ; first ones:\n"
                           << report.str();
}

TEST(XlmrGoldenTest, TokenizerJsonMatchesEveryReferenceCase) {
  auto tokenizer = load_tokenizer(xlmr_dir());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  EXPECT_EQ((*tokenizer)->kind(), "Unigram");
  EXPECT_EQ((*tokenizer)->vocab_size(), 8002u);
  EXPECT_EQ((*tokenizer)->pad_id(), 1);
  check_rows(**tokenizer, verdict::testing::testdata_dir() / "tokenizer" / "xlmr.jsonl",
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
  check_rows(**tokenizer, verdict::testing::testdata_dir() / "tokenizer" / "xlmr.jsonl",
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
  check_rows(**tokenizer, xlmr_dir() / "expected.jsonl", "xlmr-sentiment-tiny/expected.jsonl");
}

}  // namespace
}  // namespace verdict::tokenizer
