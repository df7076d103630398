// Every golden case of the Rust tokenizers library: ids, tokens, lengths and type ids.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "testing/testdata.h"
#include "verdict/tokenizer/bert_tokenizer.h"
#include "verdict/tokenizer/tokenizer.h"

namespace verdict::tokenizer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kFailuresToPrint = 5;

fs::path sst2_vocab() {
  return verdict::testing::testdata_dir() / "models" / "distilbert-sst2-tiny" / "vocab.txt";
}

std::string escaped(const std::string& text) { return json(text).dump(); }

template <class T>
std::string joined(const std::vector<T>& values) {
  std::ostringstream out;
  for (size_t i = 0; i < values.size(); ++i) out << (i ? " " : "") << values[i];
  return out.str();
}

// Runs every case of a tokenizer jsonl file; returns a description of the mismatches.
void check_jsonl_file(const Tokenizer& tokenizer, const fs::path& path) {
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
    } else {
      const auto ids = row["input_ids"].get<std::vector<int32_t>>();
      const auto tokens = row["tokens"].get<std::vector<std::string>>();
      if (encoding->ids != ids) {
        problem = "ids\n      got      " + joined(encoding->ids) + "\n      expected " + joined(ids);
      } else if (encoding->tokens != tokens) {
        problem = "tokens\n      got      " + joined(encoding->tokens) + "\n      expected " + joined(tokens);
      } else if (encoding->untruncated_length != row["untruncated_length"].get<size_t>()) {
        problem = "untruncated_length " + std::to_string(encoding->untruncated_length);
      } else if (row.contains("token_type_ids") &&
                 encoding->type_ids != row["token_type_ids"].get<std::vector<int32_t>>()) {
        problem = "token_type_ids " + joined(encoding->type_ids);
      }
    }
    if (problem.empty()) continue;
    if (++mismatches <= kFailuresToPrint) {
      report << "  text " << escaped(text) << (pair ? " pair " + escaped(*pair) : "") << ": " << problem
             << "\n";
    }
  }
  std::cout << "[ golden   ] " << path.filename().string() << ": " << rows.size() - mismatches << " of "
            << rows.size() << " cases identical\n";
  EXPECT_EQ(mismatches, 0) << mismatches << " of " << rows.size() << " cases of " << path.filename()
                           << " differ; first ones:\n"
                           << report.str();
}

TEST(GoldenTest, UncasedTokenizerMatchesEveryReferenceCase) {
  auto tokenizer = load_bert_vocab(sst2_vocab(), BertVocabOptions{});
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  check_jsonl_file(**tokenizer, verdict::testing::testdata_dir() / "tokenizer" / "bert_uncased.jsonl");
}

TEST(GoldenTest, CasedTokenizerMatchesEveryReferenceCase) {
  BertVocabOptions options;
  options.do_lower_case = false;  // strip_accents unset follows lowercase: off too
  auto tokenizer = load_bert_vocab(sst2_vocab(), options);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  check_jsonl_file(**tokenizer, verdict::testing::testdata_dir() / "tokenizer" / "bert_no_lowercase.jsonl");
}

std::string model_type(const fs::path& dir) {
  std::ifstream in(dir / "config.json");
  if (!in) return "";
  const json config = json::parse(in, nullptr, false);
  return config.is_object() && config.contains("model_type") ? config["model_type"].get<std::string>() : "";
}

TEST(GoldenTest, EveryBertModelFolderGivesTheExpectedIds) {
  int folders = 0;
  for (const auto& entry : fs::directory_iterator(verdict::testing::testdata_dir() / "models")) {
    const fs::path dir = entry.path();
    const std::string type = model_type(dir);
    if ((type != "bert" && type != "distilbert" && type != "roberta" && type != "xlm-roberta") ||
        !fs::exists(dir / "expected.jsonl")) {
      continue;
    }
    SCOPED_TRACE(dir.filename().string());
    ++folders;
    auto tokenizer = load_tokenizer(dir);
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
    EXPECT_EQ((*tokenizer)->model_max_length(), 512u);
    int mismatches = 0, rows = 0;
    std::ostringstream report;
    for (const json& row : verdict::testing::read_jsonl(dir / "expected.jsonl")) {
      ++rows;
      const std::string text = row["text"].get<std::string>();
      std::optional<std::string> pair;
      if (row.contains("text_pair")) pair = row["text_pair"].get<std::string>();
      auto encoding =
          (*tokenizer)->encode(text, pair ? std::optional<std::string_view>(*pair) : std::nullopt, {});
      ASSERT_TRUE(encoding.ok()) << encoding.error().message;
      bool same = encoding->ids == row["input_ids"].get<std::vector<int32_t>>();
      if (row.contains("token_type_ids")) {
        same = same && encoding->type_ids == row["token_type_ids"].get<std::vector<int32_t>>();
      }
      if (!same && ++mismatches <= kFailuresToPrint) report << "  " << escaped(text) << "\n";
    }
    std::cout << "[ golden   ] " << dir.filename().string() << "/expected.jsonl: " << rows - mismatches
              << " of " << rows << " rows identical\n";
    EXPECT_EQ(mismatches, 0) << mismatches << " of " << rows << " rows differ:\n" << report.str();
  }
  EXPECT_GE(folders, 8);
}

fs::path model_dir(const char* name) { return verdict::testing::testdata_dir() / "models" / name; }

// roberta-sentiment-tiny's tokenizer.json is roberta-base's old serialization;
// roberta-pairs-f16-tiny's the newer layout (merges as pairs, "type": "BPE", use_regex).
TEST(GoldenTest, RobertaTokenizerJsonMatchesEveryReferenceCase) {
  for (const char* name : {"roberta-sentiment-tiny", "roberta-pairs-f16-tiny"}) {
    SCOPED_TRACE(name);
    auto tokenizer = load_tokenizer(model_dir(name));
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
    EXPECT_EQ((*tokenizer)->kind(), "BPE");
    check_jsonl_file(**tokenizer, verdict::testing::testdata_dir() / "tokenizer" / "roberta.jsonl");
  }
}

TEST(GoldenTest, RobertaVocabJsonAndMergesMatchEveryReferenceCase) {
  const fs::path dir = verdict::testing::make_temp_dir("verdict_roberta_files_");
  for (const char* file : {"vocab.json", "merges.txt", "tokenizer_config.json"}) {
    fs::create_symlink(model_dir("roberta-sentiment-tiny") / file, dir / file);
  }
  auto tokenizer = load_tokenizer(dir);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  check_jsonl_file(**tokenizer, verdict::testing::testdata_dir() / "tokenizer" / "roberta.jsonl");
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace verdict::tokenizer
