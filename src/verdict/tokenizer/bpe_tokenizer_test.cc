#include "verdict/tokenizer/bpe_tokenizer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "testing/testdata.h"
#include "verdict/tokenizer/byte_level.h"
#include "verdict/tokenizer/tokenizer.h"
#include "verdict/tokenizer/unicode_util.h"

namespace verdict::tokenizer {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

TEST(ByteLevelTest, MapsEveryByteToGpt2sCharacter) {
  const auto& table = byte_to_unicode();
  EXPECT_EQ(table['!'], U'!');
  EXPECT_EQ(table['~'], U'~');
  EXPECT_EQ(table[' '], char32_t{0x120});  // Ġ
  EXPECT_EQ(table['\n'], char32_t{0x10A});  // Ċ
  EXPECT_EQ(table[0], char32_t{0x100});
  EXPECT_EQ(table[0xAD], char32_t{0x143});  // the soft hyphen byte is the last remapped one
  EXPECT_EQ(table[0xE9], char32_t{0xE9});
  std::vector<bool> seen(0x144, false);
  for (char32_t c : table) {
    ASSERT_LT(c, 0x144u);
    EXPECT_FALSE(seen[c]) << "two bytes map to U+" << std::hex << static_cast<uint32_t>(c);
    seen[c] = true;
  }
  EXPECT_EQ(byte_level_string(" h\xC3\xA9"), "\xC4\xA0h\xC3\x83\xC2\xA9");  // "Ġhé" -> Ġ h Ã ©
}

std::vector<std::string> words_of(std::string_view text) {
  ByteLevelSplitter splitter;
  std::vector<ByteLevelWord> words;
  splitter.split(text, &words);
  std::vector<std::string> out;
  for (const auto& w : words) out.emplace_back(text.substr(w.begin, w.end - w.begin));
  return out;
}

TEST(ByteLevelTest, SplitsWithTheGpt2Pattern) {
  EXPECT_EQ(words_of("Hello world's  end!!"),
            (std::vector<std::string>{"Hello", " world", "'s", " ", " end", "!!"}));
  // é is a letter, U+2003 a space: "\s+(?!\S)" leaves the last space to the next word, and
  // only an ASCII space joins a word.
  EXPECT_EQ(words_of("caf\xC3\xA9 42x \xE2\x80\x83tab"),
            (std::vector<std::string>{"caf\xC3\xA9", " 42", "x", " ", "\xE2\x80\x83", "tab"}));
  EXPECT_EQ(words_of("a \n"), (std::vector<std::string>{"a", " \n"}));
}

Vocab tiny_vocab(const std::vector<std::string>& tokens) {
  Vocab vocab;
  int32_t id = 0;
  for (int b = 0; b < 256; ++b) {
    std::string ch;
    append_utf8(byte_to_unicode()[b], &ch);
    vocab.add(ch, id++);
  }
  for (const auto& t : tokens) vocab.add(t, id++);
  return vocab;
}

std::vector<std::string> bpe_tokens(const Bpe& bpe, std::string_view word) {
  std::vector<BpeToken> tokens;
  bpe.tokenize(word, &tokens);
  std::vector<std::string> out;
  for (const auto& t : tokens) out.push_back(bpe.vocab().token(t.id));
  return out;
}

TEST(BpeTest, MergesTheLowestRankFirstAndCachesWords) {
  auto bpe = Bpe::create(tiny_vocab({"lo", "low", "er", "lower", "Ġl", "Ġlo"}),
                         {{"l", "o"}, {"lo", "w"}, {"e", "r"}, {"low", "er"}, {"Ġ", "l"}, {"Ġl", "o"}},
                         BpeOptions{});
  ASSERT_TRUE(bpe.ok()) << bpe.error().message;
  EXPECT_EQ(bpe_tokens(*bpe, "lower"), (std::vector<std::string>{"lower"}));
  EXPECT_EQ(bpe_tokens(*bpe, "lower"), (std::vector<std::string>{"lower"}));  // from the cache
  EXPECT_EQ(bpe_tokens(*bpe, "lowest"), (std::vector<std::string>{"low", "e", "s", "t"}));
  // "l o" (rank 0) goes before "Ġ l" (rank 4), and then "Ġ lo" has no merge.
  EXPECT_EQ(bpe_tokens(*bpe, " low"), (std::vector<std::string>{"Ġ", "low"}));
  std::vector<BpeToken> tokens;
  bpe->tokenize("xlower", &tokens);
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[1].begin, 1u);
  EXPECT_EQ(tokens[1].end, 6u);
}

TEST(BpeTest, RejectsAMergeOutsideTheVocabulary) {
  size_t bad = 99;
  auto bpe = Bpe::create(tiny_vocab({"ab"}), {{"a", "b"}, {"ab", "c"}}, BpeOptions{}, &bad);
  ASSERT_FALSE(bpe.ok());
  EXPECT_EQ(bad, 1u);
  EXPECT_NE(bpe.error().message.find("\"abc\""), std::string::npos) << bpe.error().message;
}

fs::path roberta_dir() { return verdict::testing::testdata_dir() / "models" / "roberta-sentiment-tiny"; }

// A folder with only vocab.json + merges.txt (+ configs) of roberta-sentiment-tiny.
class BpeFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = verdict::testing::make_temp_dir("verdict_bpe_test_");
    for (const char* name : {"vocab.json", "merges.txt", "tokenizer_config.json"}) {
      fs::create_symlink(roberta_dir() / name, dir_ / name);
    }
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(BpeFilesTest, LoadsVocabJsonAndMerges) {
  auto tokenizer = load_tokenizer(dir_);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  EXPECT_EQ((*tokenizer)->kind(), "BPE");
  EXPECT_EQ((*tokenizer)->vocab_size(), 50265u);
  EXPECT_EQ((*tokenizer)->pad_id(), 1);
  auto e = (*tokenizer)->encode("Hello world", std::nullopt, {});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->ids, (std::vector<int32_t>{0, 31414, 232, 2}));
  EXPECT_EQ(e->tokens, (std::vector<std::string>{"<s>", "Hello", "Ġworld", "</s>"}));
}

TEST_F(BpeFilesTest, NamesTheLineOfABadMerge) {
  fs::remove(dir_ / "merges.txt");
  write(dir_ / "merges.txt", "#version: 0.2\n\xC4\xA0 t\nnot-a-merge\n");
  auto tokenizer = load_tokenizer(dir_);
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_NE(tokenizer.error().message.find("merges.txt:3"), std::string::npos) << tokenizer.error().message;

  fs::remove(dir_ / "merges.txt");
  write(dir_ / "merges.txt", "#version: 0.2\n\xC4\xA0 t\nzzqq xxyy\n");
  tokenizer = load_tokenizer(dir_);
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_NE(tokenizer.error().message.find("merges.txt:3"), std::string::npos) << tokenizer.error().message;
  EXPECT_NE(tokenizer.error().message.find("zzqq"), std::string::npos) << tokenizer.error().message;
}

TEST_F(BpeFilesTest, NamesTheFileAndTokenOfABadVocabulary) {
  fs::remove(dir_ / "vocab.json");
  write(dir_ / "vocab.json", R"({"a": 0, "b": "one"})");
  auto tokenizer = load_tokenizer(dir_);
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_NE(tokenizer.error().message.find("vocab.json"), std::string::npos) << tokenizer.error().message;
  EXPECT_NE(tokenizer.error().message.find("\"b\""), std::string::npos) << tokenizer.error().message;
}

std::unique_ptr<Tokenizer> roberta() {
  auto tokenizer = load_tokenizer(roberta_dir());
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  return tokenizer.ok() ? std::move(*tokenizer) : nullptr;
}

TEST(RobertaTokenizerTest, MaskTakesTheSpaceOnItsLeft) {
  auto tokenizer = roberta();
  ASSERT_TRUE(tokenizer);
  auto e = tokenizer->encode("hello <mask> world", std::nullopt, {});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->ids, (std::vector<int32_t>{0, 42891, 50264, 232, 2}));
  // The stripped space is part of the match; trim_offsets removes it from the offsets again.
  EXPECT_EQ(e->offsets[2], (Offset{6, 12}));
  EXPECT_EQ(e->offsets[3], (Offset{13, 18}));
  EXPECT_EQ(e->special, (std::vector<uint8_t>{1, 0, 1, 0, 1}));
}

TEST(RobertaTokenizerTest, PairsAreWrappedTwiceWithTypeIdsZero) {
  auto tokenizer = roberta();
  ASSERT_TRUE(tokenizer);
  auto e = tokenizer->encode("a", std::string_view("b"), {});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->ids, (std::vector<int32_t>{0, 102, 2, 2, 428, 2}));
  EXPECT_EQ(e->type_ids, (std::vector<int32_t>(6, 0)));
  EXPECT_EQ(e->sequence, (std::vector<int8_t>{-1, 0, -1, -1, 1, -1}));
}

TEST(RobertaTokenizerTest, OffsetsAreBytesOfTheOriginalWithSpacesTrimmed) {
  auto tokenizer = roberta();
  ASSERT_TRUE(tokenizer);
  // "é" is two bytes; an emoji is split into byte-level tokens that all cover the whole character.
  auto e = tokenizer->encode("caf\xC3\xA9  ok \xF0\x9F\x98\x80", std::nullopt, {});
  ASSERT_TRUE(e.ok());
  // Checked against the Rust library (tokens <s> c af Ã© Ġ Ġok ĠðŁĺ Ģ </s>).
  std::vector<Offset> expected = {{0, 0}, {0, 1}, {1, 3}, {3, 5}, {6, 6}, {7, 9}};
  ASSERT_GE(e->offsets.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(e->offsets[i], expected[i]) << i << " " << e->tokens[i];
  ASSERT_EQ(e->offsets.size(), 9u);
  EXPECT_EQ(e->offsets[6], (Offset{10, 14}));
  EXPECT_EQ(e->offsets[7], (Offset{10, 14}));
}

TEST(RobertaTokenizerTest, RejectsInvalidUtf8) {
  auto tokenizer = roberta();
  ASSERT_TRUE(tokenizer);
  auto e = tokenizer->encode("ok \xFF", std::nullopt, {});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::kInvalidArgument);
}

TEST(RobertaTokenizerTest, UnsupportedTokenizerJsonPartsNameWhatWasFoundAndWhatIsSupported) {
  const fs::path dir = verdict::testing::make_temp_dir("verdict_bpe_json_");
  write(dir / "tokenizer.json", R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
      "pre_tokenizer": {"type": "Metaspace"}})");
  auto tokenizer = load_tokenizer(dir);
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_EQ(tokenizer.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(tokenizer.error().message.find("\"Metaspace\""), std::string::npos) << tokenizer.error().message;
  EXPECT_NE(tokenizer.error().message.find("ByteLevel"), std::string::npos) << tokenizer.error().message;

  write(dir / "tokenizer.json", R"({"model": {"type": "WordLevel", "vocab": {"a": 0}}})");
  tokenizer = load_tokenizer(dir);
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_EQ(tokenizer.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(tokenizer.error().message.find("\"WordLevel\""), std::string::npos) << tokenizer.error().message;
  EXPECT_NE(tokenizer.error().message.find("BPE"), std::string::npos) << tokenizer.error().message;
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace verdict::tokenizer
