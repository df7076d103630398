#include "verdict/tokenizer/bert_tokenizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "testing/testdata.h"
#include "verdict/tokenizer/post_processor.h"
#include "verdict/tokenizer/unicode_util.h"

namespace verdict::tokenizer {
namespace {

class BertTokenizerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded =
        load_bert_vocab(verdict::testing::testdata_dir() / "models" / "distilbert-sst2-tiny" / "vocab.txt",
                        BertVocabOptions{});
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    tokenizer_ = std::move(*loaded).release();
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    tokenizer_ = nullptr;
  }

  static Encoding encode(std::string_view text, std::optional<std::string_view> pair = std::nullopt,
                         EncodeOptions options = {}) {
    auto encoding = tokenizer_->encode(text, pair, options);
    EXPECT_TRUE(encoding.ok()) << encoding.error().message;
    return encoding.ok() ? *encoding : Encoding{};
  }
  // The original text each token covers.
  static std::vector<std::string> covered(std::string_view text, const Encoding& e) {
    std::vector<std::string> out;
    for (const Offset& o : e.offsets) out.emplace_back(text.substr(o.begin, o.end - o.begin));
    return out;
  }
  static std::string repeat(std::string_view word, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.append(word).append(" ");
    return s;
  }

  static Tokenizer* tokenizer_;
};

Tokenizer* BertTokenizerTest::tokenizer_ = nullptr;

TEST_F(BertTokenizerTest, WrapsTheTextInClsAndSep) {
  const Encoding e = encode("Hello, my dog is cute");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{101, 7592, 1010, 2026, 3899, 2003, 10140, 102}));
  EXPECT_EQ(e.tokens.front(), "[CLS]");
  EXPECT_EQ(e.special, (std::vector<uint8_t>{1, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(e.sequence, (std::vector<int8_t>{-1, 0, 0, 0, 0, 0, 0, -1}));
  EXPECT_EQ(e.type_ids, std::vector<int32_t>(8, 0));
  EXPECT_EQ(e.untruncated_length, 8u);
  EXPECT_FALSE(e.truncated());
}

TEST_F(BertTokenizerTest, EncodesEmptyTextAsClsSep) {
  EXPECT_EQ(encode("").ids, (std::vector<int32_t>{101, 102}));
  EXPECT_EQ(encode(" \t\x01").ids, (std::vector<int32_t>{101, 102}));
}

TEST_F(BertTokenizerTest, OffsetsOfAccentedTokensPointIntoTheOriginalText) {
  const std::string text = "Héllo, wörld";
  const Encoding e = encode(text);
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"[CLS]", "hello", ",", "world", "[SEP]"}));
  EXPECT_EQ(e.offsets, (std::vector<Offset>{{0, 0}, {0, 6}, {6, 7}, {8, 14}, {0, 0}}));
  EXPECT_EQ(covered(text, e), (std::vector<std::string>{"", "Héllo", ",", "wörld", ""}));
}

TEST_F(BertTokenizerTest, OffsetsOfSubwordsAndCombiningMarks) {
  // "disgustingly" -> disgusting ##ly; "Cafe\u0301s" -> cafes with the mark dropped.
  const std::string text = "disgustingly Cafe\u0301s";
  const Encoding e = encode(text);
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"[CLS]", "disgusting", "##ly", "cafes", "[SEP]"}));
  EXPECT_EQ(covered(text, e), (std::vector<std::string>{"", "disgusting", "ly", "Cafe\u0301s", ""}));
}

TEST_F(BertTokenizerTest, OffsetsOfCjkCharsCoverEachIdeograph) {
  const std::string text = "我国Paris";
  const Encoding e = encode(text);
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"[CLS]", "我", "国", "paris", "[SEP]"}));
  EXPECT_EQ(e.offsets[1], (Offset{0, 3}));
  EXPECT_EQ(e.offsets[2], (Offset{3, 6}));
  EXPECT_EQ(e.offsets[3], (Offset{6, 11}));
}

TEST_F(BertTokenizerTest, FindsSpecialTokensInTheTextWithoutSplittingThem) {
  const std::string text = "hello [MASK]world[SEP]";
  const Encoding e = encode(text);
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"[CLS]", "hello", "[MASK]", "world", "[SEP]", "[SEP]"}));
  EXPECT_EQ(e.special, (std::vector<uint8_t>{1, 0, 1, 0, 1, 1}));
  EXPECT_EQ(covered(text, e)[2], "[MASK]");
  EXPECT_EQ(e.sequence[4], 0);  // found in the text, not added by the template
  EXPECT_EQ(encode("[mask]").tokens, (std::vector<std::string>{"[CLS]", "[", "mask", "]", "[SEP]"}));
}

TEST_F(BertTokenizerTest, GivesPairsTypeIdsZeroThenOne) {
  const Encoding e = encode("How was it?", "Late.");
  EXPECT_EQ(e.tokens,
            (std::vector<std::string>{"[CLS]", "how", "was", "it", "?", "[SEP]", "late", ".", "[SEP]"}));
  EXPECT_EQ(e.type_ids, (std::vector<int32_t>{0, 0, 0, 0, 0, 0, 1, 1, 1}));
  EXPECT_EQ(e.sequence, (std::vector<int8_t>{-1, 0, 0, 0, 0, -1, 1, 1, -1}));
  EXPECT_EQ(e.offsets[6], (Offset{0, 4}));  // offsets into the pair's own string
}

TEST_F(BertTokenizerTest, TruncatesASingleTextKeepingTheFirstTokens) {
  EncodeOptions options;
  options.max_length = 5;
  const Encoding e = encode("one two three four five", std::nullopt, options);
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"[CLS]", "one", "two", "three", "[SEP]"}));
  EXPECT_EQ(e.untruncated_length, 7u);
  EXPECT_TRUE(e.truncated());
  options.truncate = false;
  EXPECT_EQ(encode("one two three four five", std::nullopt, options).ids.size(), 7u);
}

TEST_F(BertTokenizerTest, TruncatesPairsLongestFirstLikeRust) {
  EncodeOptions options;
  options.max_length = 10;  // 7 tokens once [CLS] [SEP] [SEP] are counted
  // Short A keeps its 3 tokens, B takes the other 4.
  Encoding e = encode(repeat("a", 3), repeat("b", 20), options);
  EXPECT_EQ(e.ids.size(), 10u);
  EXPECT_EQ(std::count(e.tokens.begin(), e.tokens.end(), "a"), 3);
  EXPECT_EQ(std::count(e.tokens.begin(), e.tokens.end(), "b"), 4);
  EXPECT_EQ(e.untruncated_length, 26u);
  // Both long: half each, the odd one to the longer (to B when equal).
  e = encode(repeat("a", 30), repeat("b", 20), options);
  EXPECT_EQ(std::count(e.tokens.begin(), e.tokens.end(), "a"), 4);
  EXPECT_EQ(std::count(e.tokens.begin(), e.tokens.end(), "b"), 3);
  e = encode(repeat("a", 20), repeat("b", 20), options);
  EXPECT_EQ(std::count(e.tokens.begin(), e.tokens.end(), "a"), 3);
  EXPECT_EQ(std::count(e.tokens.begin(), e.tokens.end(), "b"), 4);
}

// Rust's TruncationDirection::Left (TEI's truncation_direction "left"): the same lengths,
// cut from the start of each sequence; offsets still point into the original strings.
TEST_F(BertTokenizerTest, TruncatesFromTheStartWhenAskedKeepingTheLastTokens) {
  EncodeOptions options;
  options.max_length = 5;
  options.truncate_left = true;
  Encoding e = encode("one two three four five", std::nullopt, options);
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"[CLS]", "three", "four", "five", "[SEP]"}));
  EXPECT_EQ(e.offsets[1], (Offset{8, 13}));
  EXPECT_EQ(e.untruncated_length, 7u);
  options.max_length = 10;  // 7 tokens once [CLS] [SEP] [SEP] are counted: A keeps 4, B its 3
  e = encode("one two three four five six seven eight", "a b a", options);
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"[CLS]", "five", "six", "seven", "eight", "[SEP]", "a", "b", "a",
                                                "[SEP]"}));
  EXPECT_EQ(e.type_ids, (std::vector<int32_t>{0, 0, 0, 0, 0, 0, 1, 1, 1, 1}));
  e = encode("a b", "one two three four five six seven eight", options);  // B keeps its last 5
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"[CLS]", "a", "b", "[SEP]", "four", "five", "six", "seven", "eight",
                                                "[SEP]"}));
  // Short enough: nothing cut, whichever the direction.
  EXPECT_EQ(encode("one two", std::nullopt, options).tokens,
            (std::vector<std::string>{"[CLS]", "one", "two", "[SEP]"}));
}

TEST(TruncationTest, ComputesRustLongestFirstLengths) {
  EXPECT_EQ(truncated_lengths(10, std::nullopt, 4), (std::pair<size_t, size_t>{4, 0}));
  EXPECT_EQ(truncated_lengths(3, 5, 8), (std::pair<size_t, size_t>{3, 5}));
  EXPECT_EQ(truncated_lengths(3, 20, 7), (std::pair<size_t, size_t>{3, 4}));
  EXPECT_EQ(truncated_lengths(20, 3, 7), (std::pair<size_t, size_t>{4, 3}));
  EXPECT_EQ(truncated_lengths(20, 20, 9), (std::pair<size_t, size_t>{4, 5}));
  EXPECT_EQ(truncated_lengths(30, 20, 9), (std::pair<size_t, size_t>{5, 4}));
  EXPECT_EQ(truncated_lengths(5, 6, 9), (std::pair<size_t, size_t>{4, 5}));
  EXPECT_EQ(truncated_lengths(12, 5, 0), (std::pair<size_t, size_t>{0, 0}));
}

TEST_F(BertTokenizerTest, CanLeaveOutTheSpecialTokens) {
  EncodeOptions options;
  options.add_special_tokens = false;
  const Encoding e = encode("hello", "world", options);
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"hello", "world"}));
  EXPECT_EQ(e.type_ids, (std::vector<int32_t>{0, 1}));
}

TEST_F(BertTokenizerTest, RejectsInvalidUtf8WithTheByteOffset) {
  for (const auto& [text, byte] : std::vector<std::pair<std::string, int>>{{"ab\xff"
                                                                            "cd",
                                                                            2},
                                                                           {"\xc0\xaf", 0},
                                                                           {"x\xed\xa0\x80", 1},
                                                                           {"xy\xe2\x82", 2},
                                                                           {"\xf4\x90\x80\x80", 0}}) {
    auto e = tokenizer_->encode(text, std::nullopt, {});
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(e.error().message, "input is not valid UTF-8 (byte " + std::to_string(byte) + ")");
  }
  auto e = tokenizer_->encode("fine", std::string_view("bad\x80"), {});
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("not valid UTF-8 (byte 3)"), std::string::npos) << e.error().message;
}

TEST_F(BertTokenizerTest, MapsTokensAndIdsBothWays) {
  EXPECT_EQ(tokenizer_->vocab_size(), 30522u);
  EXPECT_EQ(tokenizer_->token_to_id("[CLS]"), 101);
  EXPECT_EQ(tokenizer_->token_to_id("no-such-token"), std::nullopt);
  EXPECT_EQ(tokenizer_->id_to_token(7592), "hello");
  EXPECT_EQ(tokenizer_->id_to_token(-1), "");
  EXPECT_EQ(tokenizer_->pad_id(), 0);
  EXPECT_EQ(tokenizer_->kind(), "WordPiece");
}

TEST_F(BertTokenizerTest, GivesUnkForAWordOverAHundredChars) {
  const Encoding e = encode(std::string(101, 'a') + " ok");
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"[CLS]", "[UNK]", "ok", "[SEP]"}));
  EXPECT_EQ(e.offsets[1], (Offset{0, 101}));
}

// Random code points from every plane, weighted towards marks, CJK and specials.
std::string random_text(std::mt19937& rng) {
  std::string text;
  const int n = static_cast<int>(rng() % 40);
  for (int i = 0; i < n; ++i) {
    char32_t cp = 0;
    switch (rng() % 6) {
      case 0:
        cp = 0x20 + rng() % 0x5F;
        break;
      case 1:
        cp = 0x300 + rng() % 0x70;
        break;
      case 2:
        cp = 0x4E00 + rng() % 0x100;
        break;
      case 3:
        text += "[MASK]";
        continue;
      case 4:
        cp = rng() % 0x80;
        break;
      default:
        do {
          cp = rng() % 0x110000;
        } while (cp >= 0xD800 && cp <= 0xDFFF);
    }
    append_utf8(cp, &text);
  }
  return text;
}

TEST_F(BertTokenizerTest, KeepsOffsetsInsideTheTextForRandomInput) {
  std::mt19937 rng(20240611);
  for (int i = 0; i < 3000; ++i) {
    const std::string text = random_text(rng);
    auto e = tokenizer_->encode(text, std::nullopt, {});
    ASSERT_TRUE(e.ok()) << e.error().message;
    ASSERT_EQ(e->offsets.size(), e->ids.size());
    for (const Offset& o : e->offsets) {
      EXPECT_LE(o.begin, o.end);
      EXPECT_LE(o.end, text.size());
    }
  }
}

TEST_F(BertTokenizerTest, RejectsOrEncodesRandomBytesWithoutCrashing) {
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {
    std::string bytes(rng() % 24, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 256);
    auto e = tokenizer_->encode(bytes, std::nullopt, {});
    if (!e.ok()) {
      EXPECT_EQ(e.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST_F(BertTokenizerTest, GivesTheSameResultsFromManyThreads) {
  std::mt19937 rng(99);
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i) texts.push_back(random_text(rng));
  std::vector<std::vector<int32_t>> expected;
  for (const auto& t : texts) expected.push_back(encode(t).ids);
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        for (size_t i = 0; i < texts.size(); ++i) {
          auto e = tokenizer_->encode(texts[i], std::nullopt, {});
          if (!e.ok() || e->ids != expected[i]) ++mismatches[static_cast<size_t>(t)];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(BertVocabTest, ReadsVocabLinesWithAnyLineEnding) {
  BertVocabOptions options;
  auto tokenizer =
      make_bert_tokenizer("[PAD]\r\n[UNK]\r[CLS]\n[SEP]\n[MASK]\nhello\n", options, "test vocab");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  EXPECT_EQ((*tokenizer)->vocab_size(), 6u);
  EXPECT_EQ((*tokenizer)->token_to_id("[CLS]"), 2);
  auto e = (*tokenizer)->encode("Hello world", std::nullopt, {});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->ids, (std::vector<int32_t>{2, 5, 1, 3}));
}

TEST(BertVocabTest, RefusesAVocabWithoutTheUnknownToken) {
  auto tokenizer = make_bert_tokenizer("[CLS]\n[SEP]\nhello\n", BertVocabOptions{}, "test vocab");
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_EQ(tokenizer.error().code, ErrorCode::kCorruptModel);
  EXPECT_NE(tokenizer.error().message.find("[UNK]"), std::string::npos);
}

}  // namespace
}  // namespace verdict::tokenizer
