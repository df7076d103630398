#include "verdict/tokenizer/wordpiece.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace verdict::tokenizer {
namespace {

class WordpieceTest : public ::testing::Test {
 protected:
  WordpieceTest() {
    int32_t id = 0;
    for (const char* token : {"[UNK]", "un", "##aff", "##able", "aff", "é", "##é", "##e", "a", "##a"}) {
      vocab_.add(token, id++);
    }
  }
  std::vector<SubToken> tokenize(std::string_view word, size_t max_chars = 100) const {
    WordPieceOptions options;
    options.max_input_chars_per_word = max_chars;
    WordPiece model(&vocab_, options, 0);
    std::vector<SubToken> out;
    std::string scratch;
    model.tokenize(word, &out, &scratch);
    return out;
  }
  Vocab vocab_;
};

TEST_F(WordpieceTest, SplitsUnknownWordIntoSubwords) {
  EXPECT_EQ(tokenize("unaffable"), (std::vector<SubToken>{{1, 0, 2}, {2, 2, 5}, {3, 5, 9}}));
}

TEST_F(WordpieceTest, PrefersTheLongestMatchFirst) {
  EXPECT_EQ(tokenize("aff"), (std::vector<SubToken>{{4, 0, 3}}));
}

TEST_F(WordpieceTest, GivesOneUnkForTheWholeWordWhenAnyPartIsMissing) {
  EXPECT_EQ(tokenize("unaffx"), (std::vector<SubToken>{{0, 0, 6}}));
  EXPECT_EQ(tokenize("xyz"), (std::vector<SubToken>{{0, 0, 3}}));
}

TEST_F(WordpieceTest, StepsBackByWholeCharacters) {
  // "é" is two bytes: the pieces are "é", "##é", "##e".
  EXPECT_EQ(tokenize("ééé"
                     "e"),
            (std::vector<SubToken>{{5, 0, 2}, {6, 2, 4}, {6, 4, 6}, {7, 6, 7}}));
}

TEST_F(WordpieceTest, GivesUnkForWordsLongerThanTheLimitCountedInChars) {
  EXPECT_EQ(tokenize(std::string(100, 'a'), 100).size(), 100u);
  EXPECT_EQ(tokenize(std::string(101, 'a'), 100), (std::vector<SubToken>{{0, 0, 101}}));
  // 3 chars of 2 bytes each: within a 3-char limit although 6 bytes long.
  EXPECT_EQ(tokenize("ééé", 3).size(), 3u);
  EXPECT_EQ(tokenize("éééé", 3), (std::vector<SubToken>{{0, 0, 8}}));
}

}  // namespace
}  // namespace verdict::tokenizer
