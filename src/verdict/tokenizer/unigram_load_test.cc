// Loading Unigram tokenizers from model folders: the SentencePiece model alone, and tokenizer.json
// files that are unsupported or corrupt.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "testing/testdata.h"
#include "verdict/tokenizer/tokenizer.h"

namespace verdict::tokenizer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path xlmr_dir() { return verdict::testing::testdata_dir() / "models" / "xlmr-sentiment-tiny"; }

class UnigramLoadTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = verdict::testing::make_temp_dir("verdict_unigram_test_"); }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  static json real_tokenizer_json() {
    std::ifstream in(xlmr_dir() / "tokenizer.json");
    return json::parse(in);
  }
  void write_json(const json& value) {
    std::ofstream out(dir_ / "tokenizer.json", std::ios::binary);
    out << value.dump();
  }
  // Loads `value` as the folder's tokenizer.json and expects an error of `code` naming `field`.
  void expect_refused(const json& value, ErrorCode code, const std::string& field) {
    write_json(value);
    auto tokenizer = load_tokenizer(dir_);
    ASSERT_FALSE(tokenizer.ok()) << field;
    EXPECT_EQ(tokenizer.error().code, code) << tokenizer.error().message;
    EXPECT_NE(tokenizer.error().message.find(field), std::string::npos) << tokenizer.error().message;
    EXPECT_NE(tokenizer.error().message.find("tokenizer.json"), std::string::npos)
        << tokenizer.error().message;
  }
  fs::path dir_;
};

TEST_F(UnigramLoadTest, ConvertsAFolderWithOnlyTheSentencepieceModel) {
  fs::copy_file(xlmr_dir() / "sentencepiece.bpe.model", dir_ / "sentencepiece.bpe.model");
  auto tokenizer = load_tokenizer(dir_);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  EXPECT_EQ((*tokenizer)->kind(), "Unigram");
  auto e = (*tokenizer)->encode("hello <mask> world", std::string_view("x <pad> y"), {});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->ids, (std::vector<int32_t>{0, 708, 4024, 8001, 2539, 2343, 2, 2, 4, 377, 4, 1, 136, 2}));
  // Byte offsets into each sequence; <mask> takes the space on its left (lstrip).
  EXPECT_EQ(e->offsets[3], (Offset{5, 12}));
  EXPECT_EQ(e->offsets[4], (Offset{12, 16}));
  EXPECT_EQ(e->offsets[11], (Offset{2, 7}));
  EXPECT_EQ(e->sequence[11], 1);
}

TEST_F(UnigramLoadTest, RefusesACorruptSentencepieceModelNamingTheFile) {
  std::ofstream(dir_ / "sentencepiece.bpe.model", std::ios::binary) << std::string("\x0A\xFF\xFF\x03", 4);
  auto tokenizer = load_tokenizer(dir_);
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_EQ(tokenizer.error().code, ErrorCode::kCorruptModel);
  EXPECT_NE(tokenizer.error().message.find("sentencepiece.bpe.model"), std::string::npos);
}

TEST_F(UnigramLoadTest, RefusesUnsupportedStepsNamingWhatWasFound) {
  json file = real_tokenizer_json();
  file["normalizer"]["normalizers"][1] = {{"type", "NFKC"}};
  expect_refused(file, ErrorCode::kUnsupported, "\"NFKC\"");
  file = real_tokenizer_json();
  file["pre_tokenizer"] = {{"type", "ByteLevel"}};
  expect_refused(file, ErrorCode::kUnsupported, "\"ByteLevel\"");
  file = real_tokenizer_json();
  file["normalizer"]["normalizers"][1]["pattern"] = {{"Regex", "\\s+"}};
  expect_refused(file, ErrorCode::kUnsupported, "normalizer.normalizers[1].pattern.Regex");
  file = real_tokenizer_json();
  file["pre_tokenizer"]["prepend_scheme"] = "sometimes";
  expect_refused(file, ErrorCode::kCorruptModel, "pre_tokenizer.prepend_scheme");
}

TEST_F(UnigramLoadTest, RefusesCorruptFieldsNamingThem) {
  json file = real_tokenizer_json();
  file["normalizer"]["normalizers"][0]["precompiled_charsmap"] = "not base64!";
  expect_refused(file, ErrorCode::kCorruptModel, "normalizer.normalizers[0].precompiled_charsmap");
  file["normalizer"]["normalizers"][0]["precompiled_charsmap"] = "AAEAAA==";  // declares 256 bytes
  expect_refused(file, ErrorCode::kCorruptModel, "normalizer.normalizers[0].precompiled_charsmap");
  file = real_tokenizer_json();
  file["model"]["unk_id"] = 8002;
  expect_refused(file, ErrorCode::kCorruptModel, "model.unk_id");
  file = real_tokenizer_json();
  file["model"]["unk_id"] = nullptr;
  expect_refused(file, ErrorCode::kUnsupported, "model.unk_id");
  file = real_tokenizer_json();
  file["model"]["vocab"][5] = json::array({"x"});
  expect_refused(file, ErrorCode::kCorruptModel, "model.vocab[5]");
  file = real_tokenizer_json();
  file["model"]["vocab"] = json::array();
  expect_refused(file, ErrorCode::kCorruptModel, "model.vocab");
}

TEST_F(UnigramLoadTest, ReadsRobertaProcessingAndFilesWithoutModelType) {
  json file = real_tokenizer_json();
  file["model"].erase("type");
  file["post_processor"] = {{"type", "RobertaProcessing"},
                            {"sep", {"</s>", 2}},
                            {"cls", {"<s>", 0}},
                            {"trim_offsets", true},
                            {"add_prefix_space", true}};
  write_json(file);
  auto tokenizer = load_tokenizer(dir_);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  auto e = (*tokenizer)->encode("that was great", std::string_view("ok"), {});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->ids.front(), 0);
  EXPECT_EQ(e->ids[4], 2);
  EXPECT_EQ(e->ids[5], 2);
  EXPECT_EQ(e->ids.back(), 2);
}

TEST_F(UnigramLoadTest, MatchesNormalizedAddedTokensInTheNormalizedText) {
  json file = real_tokenizer_json();
  // Fullwidth letters: the charsmap (NFKC) turns them into ASCII, so "XYZ" in a text matches.
  file["added_tokens"].push_back({{"id", 8002},
                                  {"content", "\uFF38\uFF39\uFF3A"},
                                  {"single_word", false},
                                  {"lstrip", false},
                                  {"rstrip", false},
                                  {"normalized", true},
                                  {"special", false}});
  write_json(file);
  auto tokenizer = load_tokenizer(dir_);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  EXPECT_EQ((*tokenizer)->vocab_size(), 8003u);
  auto e = (*tokenizer)->encode("a XYZ b", std::nullopt, {});
  ASSERT_TRUE(e.ok());
  const auto it = std::find(e->ids.begin(), e->ids.end(), 8002);
  ASSERT_NE(it, e->ids.end());
  const auto index = static_cast<size_t>(it - e->ids.begin());
  EXPECT_EQ(e->offsets[index], (Offset{2, 5}));
  EXPECT_EQ(e->special[index], 0);
  EXPECT_EQ((*tokenizer)->id_to_token(8002), "\uFF38\uFF39\uFF3A");
}

}  // namespace
}  // namespace verdict::tokenizer
