#include "verdict/tokenizer/added_vocabulary.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace verdict::tokenizer {
namespace {

AddedToken token(std::string content, int32_t id) {
  AddedToken t;
  t.content = std::move(content);
  t.id = id;
  return t;
}

std::vector<AddedSplit> split_raw(const AddedVocabulary& vocab, std::string_view text) {
  std::vector<AddedSplit> out;
  vocab.split_raw(text, &out);
  return out;
}

TEST(AddedVocabularyTest, FindsTokensLeftmostLongestAndKeepsTheTextBetween) {
  const AddedVocabulary vocab({token("[MASK]", 1), token("[MASK]X", 2), token("[SEP]", 3)}, Normalizer());
  EXPECT_EQ(split_raw(vocab, "a[MASK]Xb[SEP][MASK]"),
            (std::vector<AddedSplit>{{0, 1, -1}, {1, 8, 1}, {8, 9, -1}, {9, 14, 2}, {14, 20, 0}}));
}

TEST(AddedVocabularyTest, MatchesCaseSensitivelyInTheRawText) {
  const AddedVocabulary vocab({token("[MASK]", 1)}, Normalizer());
  EXPECT_EQ(split_raw(vocab, "[mask]"), (std::vector<AddedSplit>{{0, 6, -1}}));
  EXPECT_TRUE(split_raw(vocab, "").empty());
}

TEST(AddedVocabularyTest, StripsWhitespaceOnTheSidesTheFlagsAsk) {
  AddedToken mask = token("<mask>", 1);
  mask.lstrip = true;
  const AddedVocabulary left({mask}, Normalizer());
  EXPECT_EQ(split_raw(left, "hello \u3000<mask> world"),
            (std::vector<AddedSplit>{{0, 5, -1}, {5, 15, 0}, {15, 21, -1}}));
  mask.lstrip = false;
  mask.rstrip = true;
  const AddedVocabulary right({mask}, Normalizer());
  EXPECT_EQ(split_raw(right, "hello <mask>  world"),
            (std::vector<AddedSplit>{{0, 6, -1}, {6, 14, 0}, {14, 19, -1}}));
}

TEST(AddedVocabularyTest, SingleWordTokensMatchOnlyWholeWords) {
  AddedToken t = token("ab", 1);
  t.single_word = true;
  const AddedVocabulary vocab({t}, Normalizer());
  EXPECT_EQ(split_raw(vocab, "xab ab"), (std::vector<AddedSplit>{{0, 4, -1}, {4, 6, 0}}));
  EXPECT_EQ(split_raw(vocab, "ab!"), (std::vector<AddedSplit>{{0, 2, 0}, {2, 3, -1}}));
}

TEST(AddedVocabularyTest, MatchesNormalizedTokensInTheirNormalizedForm) {
  AddedToken t = token("Yesterday", 7);
  t.normalized = true;
  t.special = false;
  const AddedVocabulary vocab({t}, Normalizer(BertNormalizerOptions{}));
  ASSERT_TRUE(vocab.has_normalized_tokens());
  std::vector<AddedSplit> out;
  vocab.split_normalized("i read yesterday", &out);
  EXPECT_EQ(out, (std::vector<AddedSplit>{{0, 7, -1}, {7, 16, 0}}));
  vocab.split_raw("I read Yesterday", &out);
  EXPECT_EQ(out, (std::vector<AddedSplit>{{0, 16, -1}}));
}

}  // namespace
}  // namespace verdict::tokenizer
