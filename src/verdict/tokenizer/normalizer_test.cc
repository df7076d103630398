#include "verdict/tokenizer/normalizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace verdict::tokenizer {
namespace {

NormalizedString normalize(const BertNormalizerOptions& options, std::string_view text) {
  NormalizedString out;
  Normalizer(options).normalize(text, 0, &out);
  EXPECT_EQ(out.alignments.size(), out.text.size());
  return out;
}

BertNormalizerOptions uncased() { return BertNormalizerOptions{}; }
BertNormalizerOptions cased() {
  BertNormalizerOptions options;
  options.lowercase = false;
  return options;
}

TEST(NormalizerTest, DropsControlAndFormatCharsButKeepsUnassignedOnes) {
  // U+0001 Cc, U+200B Cf, U+E000 Co, U+FFFD and NUL go; U+0378 (unassigned) stays.
  const std::string text =
      std::string("a\x01") + "b\u200B" + "c\uE000d\uFFFD" + std::string(1, '\0') + "e\u0378";
  EXPECT_EQ(normalize(cased(), text).text, "abcde\u0378");
}

TEST(NormalizerTest, MapsEveryKindOfWhitespaceToASpace) {
  EXPECT_EQ(normalize(cased(), "a\tb\nc\rd\u3000e\u00A0f\u2028g").text, "a b c d e f g");
  // \v, \f and U+0085 are control characters first: dropped, not spaced.
  EXPECT_EQ(normalize(cased(), "a\vb\fc\u0085d").text, "abcd");
}

TEST(NormalizerTest, PadsCjkIdeographsWithSpacesAlignedToTheIdeograph) {
  const auto out = normalize(cased(), "a中b");
  EXPECT_EQ(out.text, "a 中 b");
  EXPECT_EQ(out.original_range(1, 2), (Offset{1, 4}));  // the space before
  EXPECT_EQ(out.original_range(2, 5), (Offset{1, 4}));
  EXPECT_EQ(out.original_range(5, 6), (Offset{1, 4}));  // the space after
  // Hiragana and Hangul are not in the CJK blocks; U+2B820 falls in Rust's gap.
  EXPECT_EQ(normalize(cased(), "あ한\U0002B820").text, "あ한\U0002B820");
}

TEST(NormalizerTest, StripsAccentsThenLowercases) {
  const auto out = normalize(uncased(), "HÉLLO Ωmega");
  EXPECT_EQ(out.text, "hello ωmega");
  EXPECT_EQ(out.original_range(1, 2), (Offset{1, 3}));  // e comes from É
}

TEST(NormalizerTest, KeepsAccentsAndCaseWhenCased) { EXPECT_EQ(normalize(cased(), "HÉLLO").text, "HÉLLO"); }

TEST(NormalizerTest, StripAccentsCanBeSetApartFromLowercase) {
  auto options = uncased();
  options.strip_accents = false;
  EXPECT_EQ(normalize(options, "Héllo").text, "héllo");
  options = cased();
  options.strip_accents = true;
  EXPECT_EQ(normalize(options, "Héllo").text, "Hello");
}

TEST(NormalizerTest, LowercasesDottedCapitalIToTwoCharsLikeRust) {
  auto options = uncased();
  options.strip_accents = false;
  const auto out = normalize(options, "İx");
  EXPECT_EQ(out.text, "i\u0307x");
  EXPECT_EQ(out.original_range(0, 3), (Offset{0, 2}));
  // With accent stripping, NFD runs first: İ -> I + U+0307 -> I -> i.
  EXPECT_EQ(normalize(uncased(), "İx").text, "ix");
  // Per-char lowercasing: no final-sigma rule.
  EXPECT_EQ(normalize(uncased(), "ΟΔΟΣ").text, "οδοσ");
}

TEST(NormalizerTest, DecomposesHangulAndLigaturesOnlyCanonically) {
  auto options = uncased();
  // Hangul syllables decompose to jamo; the fi ligature has only a compatibility mapping.
  EXPECT_EQ(normalize(options, "한ﬁ").text, "\u1112\u1161\u11ABﬁ");
}

TEST(NormalizerTest, ReordersCombiningMarksCanonicallyBeforeStripping) {
  // Musical stems are spacing marks (Mc, kept) with classes 226 and 216: NFD swaps them, and
  // each takes the alignment of the position it lands on, as the Rust library reports.
  auto options = cased();
  options.strip_accents = true;
  const auto out = normalize(options, "x\U0001D16D\U0001D165");
  EXPECT_EQ(out.text, "x\U0001D165\U0001D16D");
  EXPECT_EQ(out.original_range(1, 5), (Offset{1, 5}));
  EXPECT_EQ(out.original_range(5, 9), (Offset{5, 9}));
  // Nonspacing marks in any order are removed.
  EXPECT_EQ(normalize(options, "a\u0301\u0323b").text, "ab");
}

TEST(NormalizerTest, AlignmentsAreShiftedByTheBaseOffset) {
  NormalizedString out;
  Normalizer(uncased()).normalize("Ab", 10, &out);
  EXPECT_EQ(out.original_range(0, 2), (Offset{10, 12}));
}

TEST(NormalizerTest, WithoutOptionsLeavesTheTextAlone) {
  NormalizedString out;
  Normalizer().normalize("A\tÉ\x01", 0, &out);
  EXPECT_EQ(out.text, "A\tÉ\x01");
  EXPECT_EQ(out.original_range(2, 4), (Offset{2, 4}));
}

}  // namespace
}  // namespace verdict::tokenizer
