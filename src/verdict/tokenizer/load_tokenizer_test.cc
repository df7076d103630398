#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "testing/testdata.h"
#include "verdict/tokenizer/tokenizer.h"

namespace verdict::tokenizer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void write(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

constexpr const char* kTinyVocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n##s\n,\n";

// A small tokenizer.json in the layout the Rust library writes.
json tiny_tokenizer_json() {
  return json::parse(R"({
    "version": "1.0", "truncation": null, "padding": null,
    "added_tokens": [
      {"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
      {"id": 1, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
      {"id": 2, "content": "[CLS]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
      {"id": 3, "content": "[SEP]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
      {"id": 4, "content": "[MASK]", "single_word": false, "lstrip": true, "rstrip": false, "normalized": false, "special": true},
      {"id": 9, "content": "<new>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": true, "special": false}
    ],
    "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
    "pre_tokenizer": {"type": "BertPreTokenizer"},
    "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
    "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
    "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
              "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4, "hello": 5, "world": 6, "##s": 7, ",": 8}}
  })");
}

class LoadTokenizerTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = verdict::testing::make_temp_dir("verdict_tokenizer_test_"); }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(LoadTokenizerTest, ReportsAMissingVocabularyWithTheFolderAndFilesLookedFor) {
  auto tokenizer = load_tokenizer(dir_);
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_EQ(tokenizer.error().code, ErrorCode::kNotFound);
  EXPECT_NE(tokenizer.error().message.find(dir_.string()), std::string::npos);
  EXPECT_NE(tokenizer.error().message.find("tokenizer.json"), std::string::npos);
  EXPECT_NE(tokenizer.error().message.find("vocab.txt"), std::string::npos);
  EXPECT_EQ(load_tokenizer(dir_ / "nope").error().code, ErrorCode::kNotFound);
}

TEST_F(LoadTokenizerTest, NamesTheFileWithBadJson) {
  write(dir_ / "vocab.txt", kTinyVocab);
  write(dir_ / "tokenizer_config.json", "{\"do_lower_case\": tru");
  auto tokenizer = load_tokenizer(dir_);
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_NE(tokenizer.error().message.find("tokenizer_config.json"), std::string::npos)
      << tokenizer.error().message;

  fs::remove(dir_ / "tokenizer_config.json");
  write(dir_ / "tokenizer.json", "[1, 2");
  tokenizer = load_tokenizer(dir_);
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_NE(tokenizer.error().message.find("tokenizer.json"), std::string::npos) << tokenizer.error().message;
}

TEST_F(LoadTokenizerTest, NamesTheFieldWithAWrongType) {
  write(dir_ / "vocab.txt", kTinyVocab);
  write(dir_ / "tokenizer_config.json", R"({"do_lower_case": "yes"})");
  auto tokenizer = load_tokenizer(dir_);
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_NE(tokenizer.error().message.find("do_lower_case"), std::string::npos) << tokenizer.error().message;
}

TEST_F(LoadTokenizerTest, RefusesAnUnsupportedModelTypeNamingWhatItFoundAndSupports) {
  json j = tiny_tokenizer_json();
  j["model"]["type"] = "WordLevel";
  write(dir_ / "tokenizer.json", j.dump());
  auto tokenizer = load_tokenizer(dir_);
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_EQ(tokenizer.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(tokenizer.error().message.find("WordLevel"), std::string::npos) << tokenizer.error().message;
  EXPECT_NE(tokenizer.error().message.find("BPE"), std::string::npos) << tokenizer.error().message;
  EXPECT_NE(tokenizer.error().message.find("WordPiece"), std::string::npos) << tokenizer.error().message;
}

// Found by fuzz_tokenizer_json: a single template without $A (its first piece an object with a
// second key, which serde refuses) encoded [CLS] [SEP] while lengths counted the text.
TEST_F(LoadTokenizerTest, RefusesTemplatesThatDropOrRepeatASequence) {
  const json cls = {{"SpecialToken", {{"id", "[CLS]"}, {"type_id", 0}}}};
  const json sep = {{"SpecialToken", {{"id", "[SEP]"}, {"type_id", 0}}}};
  const json a = {{"Sequence", {{"id", "A"}, {"type_id", 0}}}};
  const json b = {{"Sequence", {{"id", "B"}, {"type_id", 1}}}};
  const json specials = {{"[CLS]", {{"id", "[CLS]"}, {"ids", {2}}, {"tokens", {"[CLS]"}}}},
                         {"[SEP]", {{"id", "[SEP]"}, {"ids", {3}}, {"tokens", {"[SEP]"}}}}};
  const auto load_with = [&](const json& single, const json& pair) {
    json j = tiny_tokenizer_json();
    j["post_processor"] = {{"type", "TemplateProcessing"}, {"single", single}, {"pair", pair}, {"special_tokens", specials}};
    write(dir_ / "tokenizer.json", j.dump());
    return load_tokenizer(dir_);
  };
  ASSERT_TRUE(load_with({cls, a, sep}, {cls, a, sep, b, sep}).ok());
  json two_keys = cls;
  two_keys["Sequence"] = a["Sequence"];
  const std::vector<std::pair<std::pair<json, json>, std::string>> bad = {
      {{{two_keys, sep}, {cls, a, sep, b, sep}}, "post_processor.single[0]"},
      {{{cls, sep}, {cls, a, sep, b, sep}}, "must hold $A exactly once; it has 0"},
      {{{cls, a, a, sep}, {cls, a, sep, b, sep}}, "must hold $A exactly once; it has 2"},
      {{{cls, a, sep, b}, {cls, a, sep, b, sep}}, "must hold $B nowhere; it has 1"},
      {{{cls, a, sep}, {cls, a, sep, sep}}, "\"post_processor.pair\" must hold $B exactly once; it has 0"},
  };
  for (const auto& [templates, message] : bad) {
    auto tokenizer = load_with(templates.first, templates.second);
    ASSERT_FALSE(tokenizer.ok()) << message;
    EXPECT_NE(tokenizer.error().message.find(message), std::string::npos) << tokenizer.error().message;
  }
}

TEST_F(LoadTokenizerTest, RefusesUnsupportedNormalizersAndPreTokenizers) {
  json j = tiny_tokenizer_json();
  j["normalizer"] = json::parse(R"({"type": "NFKC"})");
  write(dir_ / "tokenizer.json", j.dump());
  auto tokenizer = load_tokenizer(dir_);
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_EQ(tokenizer.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(tokenizer.error().message.find("NFKC"), std::string::npos);
  EXPECT_NE(tokenizer.error().message.find("BertNormalizer"), std::string::npos);

  j = tiny_tokenizer_json();
  j["pre_tokenizer"] = json::parse(R"({"type": "ByteLevel", "add_prefix_space": false})");
  write(dir_ / "tokenizer.json", j.dump());
  tokenizer = load_tokenizer(dir_);
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_EQ(tokenizer.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(tokenizer.error().message.find("ByteLevel"), std::string::npos);
}

TEST_F(LoadTokenizerTest, LoadsRobertaAndXlmRobertaFolders) {
  for (const char* name : {"roberta-sentiment-tiny", "xlmr-sentiment-tiny"}) {
    auto tokenizer = load_tokenizer(verdict::testing::testdata_dir() / "models" / name);
    ASSERT_TRUE(tokenizer.ok()) << name << ": " << tokenizer.error().message;
  }
}

TEST_F(LoadTokenizerTest, ReadsATokenizerJsonWithItsAddedTokensAndFlags) {
  write(dir_ / "tokenizer.json", tiny_tokenizer_json().dump());
  auto tokenizer = load_tokenizer(dir_);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  EXPECT_EQ((*tokenizer)->vocab_size(), 10u);
  EXPECT_EQ((*tokenizer)->model_max_length(), 512u);
  const std::string text = "Hello  [MASK], worlds <NEW>";
  auto e = (*tokenizer)->encode(text, std::nullopt, {});
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->ids, (std::vector<int32_t>{2, 5, 4, 8, 6, 7, 9, 3}));
  EXPECT_EQ(e->offsets[2], (Offset{5, 13}));   // lstrip: the spaces belong to [MASK]
  EXPECT_EQ(e->offsets[6], (Offset{22, 27}));  // "<NEW>" matched after lowercasing
  EXPECT_EQ(e->special[6], 0);
}

TEST_F(LoadTokenizerTest, LetsTokenizerConfigOverrideTheNormalizerFlagsAsTransformersDoes) {
  write(dir_ / "tokenizer.json", tiny_tokenizer_json().dump());
  write(dir_ / "tokenizer_config.json", R"({"do_lower_case": false})");
  auto tokenizer = load_tokenizer(dir_);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  auto e = (*tokenizer)->encode("Hello hello", std::nullopt, {});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->ids, (std::vector<int32_t>{2, 1, 5, 3}));
}

TEST_F(LoadTokenizerTest, ReadsTokenizerConfigAndSpecialTokensMap) {
  write(dir_ / "vocab.txt", "<pad>\n<unk>\n<cls>\n<sep>\n<mask>\nHello\nhello\n");
  write(dir_ / "tokenizer_config.json",
        R"({"do_lower_case": false, "model_max_length": 128, "unk_token": "<unk>", "pad_token": "<pad>",
            "cls_token": {"content": "<cls>", "lstrip": false}, "sep_token": "<sep>"})");
  write(dir_ / "special_tokens_map.json", R"({"mask_token": {"content": "<mask>", "lstrip": true}})");
  auto tokenizer = load_tokenizer(dir_);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  EXPECT_EQ((*tokenizer)->model_max_length(), 128u);
  EXPECT_EQ((*tokenizer)->pad_id(), 0);
  auto e = (*tokenizer)->encode("Hello <mask>", std::nullopt, {});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->ids, (std::vector<int32_t>{2, 5, 4, 3}));
  EXPECT_EQ(e->offsets[2], (Offset{5, 12}));
}

TEST_F(LoadTokenizerTest, TreatsAHugeModelMaxLengthAsUnset) {
  write(dir_ / "vocab.txt", kTinyVocab);
  write(dir_ / "tokenizer_config.json", R"({"model_max_length": 1000000000000000019884624838656})");
  auto tokenizer = load_tokenizer(dir_);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  EXPECT_EQ((*tokenizer)->model_max_length(), 512u);
}

TEST_F(LoadTokenizerTest, LoadsTheTokenizerJsonOnlyModelFolder) {
  auto tokenizer = load_tokenizer(verdict::testing::testdata_dir() / "models" / "distilbert-odd-dims");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  EXPECT_EQ((*tokenizer)->kind(), "WordPiece");
  EXPECT_EQ((*tokenizer)->vocab_size(), 30522u);
  EXPECT_EQ((*tokenizer)->token_to_id("[MASK]"), 103);
}

// Found by fuzz_tokenizer_json: one vocabulary id of 205003000 made the loader allocate a
// 205M-entry table (6.5 GB), and an added token id of 2^31-1 overflowed the next free id.
TEST_F(LoadTokenizerTest, KeepsMemoryToTheTokensOfASparseVocabulary) {
  json j = tiny_tokenizer_json();
  j["model"]["vocab"]["hello"] = 205003000;
  j["added_tokens"][5]["id"] = 1073741823;  // the largest id allowed
  write(dir_ / "tokenizer.json", j.dump());
  auto tokenizer = load_tokenizer(dir_);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  EXPECT_EQ((*tokenizer)->vocab_size(), 1073741824u);
  EXPECT_EQ((*tokenizer)->id_to_token(205003000), "hello");
  EXPECT_EQ((*tokenizer)->id_to_token(5), "");
  auto e = (*tokenizer)->encode("hello <new>", std::nullopt, {});
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->ids, (std::vector<int32_t>{2, 205003000, 1073741823, 3}));
}

TEST_F(LoadTokenizerTest, RefusesTokenIdsFromTwoToTheThirtyNamingTheField) {
  const std::vector<std::pair<json, std::string>> cases = {
      {[] {
         json j = tiny_tokenizer_json();
         j["model"]["vocab"]["hello"] = 1073741824;
         return j;
       }(),
       "\"model.vocab.hello\" must be a token id below 2^30"},
      {[] {
         json j = tiny_tokenizer_json();
         j["added_tokens"][5]["id"] = 2147483647;
         return j;
       }(),
       "\"added_tokens[5].id\" must be a token id below 2^30"},
      // Used to wrap to id 0 ([PAD]) when cast to int32.
      {[] {
         json j = tiny_tokenizer_json();
         j["added_tokens"][5]["id"] = 4294967296;
         return j;
       }(),
       "\"added_tokens[5].id\" must be a token id below 2^30"},
  };
  for (const auto& [j, message] : cases) {
    write(dir_ / "tokenizer.json", j.dump());
    auto tokenizer = load_tokenizer(dir_);
    ASSERT_FALSE(tokenizer.ok()) << message;
    EXPECT_NE(tokenizer.error().message.find(message), std::string::npos) << tokenizer.error().message;
  }
}

TEST_F(LoadTokenizerTest, RefusesAddedTokenIdsFromTwoToTheThirtyInTheFolderConfigs) {
  write(dir_ / "vocab.txt", kTinyVocab);
  write(dir_ / "added_tokens.json", R"({"<new>": 2147483647})");
  auto tokenizer = load_tokenizer(dir_);
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_NE(tokenizer.error().message.find("\"<new>\" must be a token id below 2^30"), std::string::npos)
      << tokenizer.error().message;

  fs::remove(dir_ / "added_tokens.json");
  write(dir_ / "tokenizer_config.json", R"({"added_tokens_decoder": {"2147483647": {"content": "<new>"}}})");
  tokenizer = load_tokenizer(dir_);
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_NE(tokenizer.error().message.find("added_tokens_decoder.2147483647"), std::string::npos)
      << tokenizer.error().message;
}

}  // namespace
}  // namespace verdict::tokenizer
