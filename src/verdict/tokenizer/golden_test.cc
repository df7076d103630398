// Every golden case of the Rust tokenizers library: ids, tokens, lengths and type ids.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "testing/testdata.h"
#include "verdict/tokenizer/bert_tokenizer.h"
#include "verdict/tokenizer/golden_rows.h"
#include "verdict/tokenizer/tokenizer.h"

namespace verdict::tokenizer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using verdict::testing::model_dir;

fs::path sst2_vocab() { return model_dir("distilbert-sst2-tiny") / "vocab.txt"; }

fs::path golden_file(const char* name) { return verdict::testing::testdata_dir() / "tokenizer" / name; }

TEST(GoldenTest, UncasedTokenizerMatchesEveryReferenceCase) {
  auto tokenizer = load_bert_vocab(sst2_vocab(), BertVocabOptions{});
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  expect_golden_rows(**tokenizer, golden_file("bert_uncased.jsonl"), "bert_uncased.jsonl");
}

TEST(GoldenTest, CasedTokenizerMatchesEveryReferenceCase) {
  BertVocabOptions options;
  options.do_lower_case = false;  // strip_accents unset follows lowercase: off too
  auto tokenizer = load_bert_vocab(sst2_vocab(), options);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  expect_golden_rows(**tokenizer, golden_file("bert_no_lowercase.jsonl"), "bert_no_lowercase.jsonl");
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
    expect_golden_rows(**tokenizer, dir / "expected.jsonl", dir.filename().string() + "/expected.jsonl");
  }
  EXPECT_GE(folders, 8);
}

// roberta-sentiment-tiny's tokenizer.json is roberta-base's old serialization;
// roberta-pairs-f16-tiny's the newer layout (merges as pairs, "type": "BPE", use_regex).
TEST(GoldenTest, RobertaTokenizerJsonMatchesEveryReferenceCase) {
  for (const char* name : {"roberta-sentiment-tiny", "roberta-pairs-f16-tiny"}) {
    SCOPED_TRACE(name);
    auto tokenizer = load_tokenizer(model_dir(name));
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
    EXPECT_EQ((*tokenizer)->kind(), "BPE");
    expect_golden_rows(**tokenizer, golden_file("roberta.jsonl"), std::string(name) + ": roberta.jsonl");
  }
}

TEST(GoldenTest, RobertaVocabJsonAndMergesMatchEveryReferenceCase) {
  const fs::path dir = verdict::testing::make_temp_dir("verdict_roberta_files_");
  for (const char* file : {"vocab.json", "merges.txt", "tokenizer_config.json"}) {
    fs::create_symlink(model_dir("roberta-sentiment-tiny") / file, dir / file);
  }
  auto tokenizer = load_tokenizer(dir);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  expect_golden_rows(**tokenizer, golden_file("roberta.jsonl"), "roberta.jsonl (vocab.json + merges.txt)");
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace verdict::tokenizer
