#include "verdict/tokenizer/pre_tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace verdict::tokenizer {
namespace {

std::vector<std::string> words_of(std::string_view text, PreTokenizerKind kind = PreTokenizerKind::kBert) {
  std::vector<WordSpan> spans;
  pre_tokenize(kind, text, 0, static_cast<uint32_t>(text.size()), &spans);
  std::vector<std::string> words;
  for (const auto& s : spans) words.emplace_back(text.substr(s.begin, s.end - s.begin));
  return words;
}

TEST(PreTokenizerTest, SplitsOnWhitespaceAndIsolatesPunctuation) {
  EXPECT_EQ(words_of("Hey friend!     How are you?!?"),
            (std::vector<std::string>{"Hey", "friend", "!", "How", "are", "you", "?", "!", "?"}));
}

TEST(PreTokenizerTest, ReportsByteRangesOfWords) {
  std::vector<WordSpan> spans;
  const std::string_view text = "ab, cd";
  pre_tokenize(PreTokenizerKind::kBert, text, 0, 6, &spans);
  EXPECT_EQ(spans, (std::vector<WordSpan>{{0, 2}, {2, 3}, {4, 6}}));
}

TEST(PreTokenizerTest, TreatsAsciiSymbolsAsPunctuationButNotUnicodeSymbols) {
  EXPECT_EQ(words_of("a$b+c<d=e>f^g`h|i~j"),
            (std::vector<std::string>{"a", "$", "b", "+", "c", "<", "d", "=", "e", ">", "f", "^", "g", "`",
                                      "h", "|", "i", "~", "j"}));
  // ¿ and « are punctuation (Po, Pi); € and ⊆ are symbols and stay inside words.
  EXPECT_EQ(words_of("¿a«b€c⊆d"), (std::vector<std::string>{"¿", "a", "«", "b€c⊆d"}));
}

TEST(PreTokenizerTest, SplitsOnUnicodeWhitespace) {
  EXPECT_EQ(words_of("a\u3000b\u00A0c\u2003d"), (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(PreTokenizerTest, WithoutPreTokenizerKeepsOneWord) {
  EXPECT_EQ(words_of("a b!", PreTokenizerKind::kNone), (std::vector<std::string>{"a b!"}));
}

}  // namespace
}  // namespace verdict::tokenizer
