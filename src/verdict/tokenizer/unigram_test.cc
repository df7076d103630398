// The SentencePiece pieces one by one: charsmap, Replace, Metaspace, the Unigram lattice, the
// .model reader, and hostile inputs for each parser.
#include "verdict/tokenizer/unigram.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "testing/testdata.h"
#include "verdict/common/file_util.h"
#include "verdict/tokenizer/metaspace.h"
#include "verdict/tokenizer/precompiled_charsmap.h"
#include "verdict/tokenizer/sentencepiece_model.h"
#include "verdict/tokenizer/spm_normalizer.h"
#include "verdict/tokenizer/unigram_json.h"

namespace verdict::tokenizer {
namespace {

namespace fs = std::filesystem;

const std::string kMeta = "\xE2\x96\x81";  // ▁

fs::path xlmr_model() {
  return verdict::testing::testdata_dir() / "models" / "xlmr-sentiment-tiny" / "sentencepiece.bpe.model";
}

SentencePieceModel real_model() {
  auto bytes = read_file(xlmr_model());
  EXPECT_TRUE(bytes.ok());
  auto model = parse_sentencepiece_model(bytes.ok() ? *bytes : std::string());
  EXPECT_TRUE(model.ok()) << model.error().message;
  return model.ok() ? *model : SentencePieceModel{};
}

PrecompiledCharsmap real_charsmap() {
  static const SentencePieceModel model = real_model();
  auto map = PrecompiledCharsmap::parse(model.precompiled_charsmap);
  EXPECT_TRUE(map.ok()) << map.error().message;
  return std::move(map).value();
}

NormalizedString identity(std::string_view text) {
  SpmNormalizer none;
  NormalizedString s;
  none.normalize(text, 0, &s);
  return s;
}

std::vector<std::string> word_texts(const NormalizedString& s, const std::vector<WordSpan>& words) {
  std::vector<std::string> out;
  for (const WordSpan& w : words) out.push_back(s.text.substr(w.begin, w.end - w.begin));
  return out;
}

TEST(SentencePieceModelTest, ReadsTheTestModelsPiecesTypeAndCharsmap) {
  const SentencePieceModel model = real_model();
  ASSERT_EQ(model.pieces.size(), 8000u);
  EXPECT_EQ(model.pieces[0].piece, "<unk>");
  EXPECT_EQ(model.pieces[0].type, 2);
  EXPECT_EQ(model.pieces[1].piece, "<s>");
  EXPECT_EQ(model.pieces[1].type, 3);
  EXPECT_EQ(model.pieces[3].piece, kMeta);
  EXPECT_FLOAT_EQ(model.pieces[3].score, -2.9555020332336426f);
  EXPECT_EQ(model.model_type, 1);
  EXPECT_FALSE(model.byte_fallback);
  EXPECT_GT(model.precompiled_charsmap.size(), 1000u);
}

TEST(PrecompiledCharsmapTest, MapsCompatibilityCharsAndDropsControls) {
  const PrecompiledCharsmap map = real_charsmap();
  EXPECT_EQ(map.transform("\xEF\xBD\xB6"), "\xE3\x82\xAB");  // halfwidth ｶ -> カ
  EXPECT_EQ(map.transform("\xEF\xAC\x81"), "fi");            // ﬁ ligature
  EXPECT_EQ(map.transform("\x01"), "");                      // controls are removed
  EXPECT_EQ(map.transform("\n"), " ");
  EXPECT_EQ(map.transform("a"), std::nullopt);
}

TEST(PrecompiledCharsmapTest, NormalizesPerGraphemeClusterWithRustAlignments) {
  const PrecompiledCharsmap map = real_charsmap();
  NormalizedString s = identity("a\xEF\xAC\x81x");  // a ﬁ x
  map.normalize(&s, 0);
  EXPECT_EQ(s.text, "afix");
  ASSERT_EQ(s.alignments.size(), 4u);
  EXPECT_EQ(s.alignments[1], (Offset{1, 4}));
  EXPECT_EQ(s.alignments[2], (Offset{1, 4}));  // inserted char shares the ligature's range
  EXPECT_EQ(s.alignments[3], (Offset{4, 5}));
  // A char removed at the very start shifts the alignments that follow (Rust's quirk).
  s = identity(
      "\x01"
      "ab");
  map.normalize(&s, 0);
  EXPECT_EQ(s.text, "ab");
  EXPECT_EQ(s.alignments[0], (Offset{0, 1}));
  EXPECT_EQ(s.alignments[1], (Offset{1, 2}));
  // Removed in the middle: the previous char absorbs it.
  s = identity(
      "a\x01"
      "b");
  map.normalize(&s, 0);
  EXPECT_EQ(s.text, "ab");
  EXPECT_EQ(s.alignments[0], (Offset{0, 1}));
  EXPECT_EQ(s.alignments[1], (Offset{2, 3}));
}

TEST(PrecompiledCharsmapTest, RefusesMalformedBlobs) {
  EXPECT_FALSE(PrecompiledCharsmap::parse("").ok());
  EXPECT_FALSE(PrecompiledCharsmap::parse(std::string("\x08\x00\x00", 3)).ok());
  EXPECT_FALSE(PrecompiledCharsmap::parse(std::string("\x00\x00\x00\x00", 4)).ok());  // empty trie
  EXPECT_FALSE(PrecompiledCharsmap::parse(std::string("\x10\x00\x00\x00"
                                                      "abcd",
                                                      8))
                   .ok());  // too short
  EXPECT_FALSE(PrecompiledCharsmap::parse(std::string("\x04\x00\x00\x00"
                                                      "abcd\xFF",
                                                      9))
                   .ok());  // not UTF-8
  EXPECT_TRUE(PrecompiledCharsmap::parse(std::string("\x04\x00\x00\x00\x00\x00\x00\x00", 8)).ok());
}

TEST(PrecompiledCharsmapTest, RandomTriesNeverReadOutOfBounds) {
  std::mt19937 rng(7);
  const std::string probes[] = {"a", "\xEF\xBD\xB6", "\x01", "hello world", "\xF0\x9F\x98\x80"};
  for (int round = 0; round < 300; ++round) {
    const size_t units = 1 + rng() % 64;
    std::string blob(4 + units * 4, '\0');
    const auto bytes = static_cast<uint32_t>(units * 4);
    std::memcpy(blob.data(), &bytes, 4);
    for (size_t i = 4; i < blob.size(); ++i) blob[i] = static_cast<char>(rng());
    blob += std::string("xyz\0ab\0", 7);
    auto map = PrecompiledCharsmap::parse(blob);
    ASSERT_TRUE(map.ok());
    for (const std::string& probe : probes) {
      (void)map->transform(probe);
      NormalizedString s = identity(probe);
      map->normalize(&s, 0);
      EXPECT_EQ(s.text.size(), s.alignments.size());
    }
  }
}

TEST(ReplaceTest, CollapsesRunsToTheLastSpacesAlignment) {
  auto rule = regex_replace(" {2,}", " ");
  ASSERT_TRUE(rule.ok());
  NormalizedString s = identity("a   b c");
  apply_replace(*rule, &s);
  EXPECT_EQ(s.text, "a b c");
  EXPECT_EQ(s.alignments[1], (Offset{3, 4}));
  EXPECT_EQ(s.alignments[3], (Offset{5, 6}));
}

TEST(ReplaceTest, AcceptsOnlyTheRegexSubsetItImplements) {
  EXPECT_TRUE(regex_replace("a+", "").ok());
  EXPECT_TRUE(regex_replace("\\.{3}", "").ok());
  EXPECT_TRUE(regex_replace("abc", "").ok());
  for (const char* r : {"[a-z]", "a|b", "(ab)+", "\\s+", "", "a{0,}", "a{3,2}", "a{", "\\"}) {
    auto rule = regex_replace(r, "");
    ASSERT_FALSE(rule.ok()) << r;
    EXPECT_EQ(rule.error().code, ErrorCode::kUnsupported);
  }
}

TEST(MetaspaceTest, PrependsAndSplitsBeforeEachMetaspace) {
  NormalizedString s = identity("hello world ");
  std::vector<WordSpan> words;
  metaspace(MetaspaceOptions{}, 0, &s, &words);
  EXPECT_EQ(word_texts(s, words), (std::vector<std::string>{kMeta + "hello", kMeta + "world", kMeta}));
  EXPECT_EQ(s.alignments[0], (Offset{0, 1}));  // the prepended ▁ shares the first char's range
  // A run of ▁ stays with the word that follows it.
  s = identity(kMeta + " b");
  words.clear();
  metaspace(MetaspaceOptions{}, 0, &s, &words);
  EXPECT_EQ(word_texts(s, words), (std::vector<std::string>{kMeta + kMeta + "b"}));
  MetaspaceOptions never;
  never.prepend = MetaspaceOptions::Prepend::kNever;
  s = identity("a b");
  words.clear();
  metaspace(never, 0, &s, &words);
  EXPECT_EQ(word_texts(s, words), (std::vector<std::string>{"a", kMeta + "b"}));
  s = identity("");
  words.clear();
  metaspace(MetaspaceOptions{}, 0, &s, &words);
  EXPECT_TRUE(words.empty());
}

UnigramModel small_model(std::vector<UnigramPiece> pieces, bool byte_fallback = false) {
  auto model = UnigramModel::create(std::move(pieces), 0, byte_fallback);
  EXPECT_TRUE(model.ok());
  return std::move(model).value();
}

TEST(UnigramTest, FindsTheBestSegmentation) {
  const UnigramModel model =
      small_model({{"<unk>", 0}, {"a", -1}, {"b", -1}, {"ab", -1.5}, {"abc", -4}, {"c", -1}});
  std::vector<SubToken> out;
  ASSERT_TRUE(model.tokenize("abc", &out).ok());
  EXPECT_EQ(out, (std::vector<SubToken>{{3, 0, 2}, {5, 2, 3}}));  // ab + c (-2.5) beats abc (-4)
}

TEST(UnigramTest, KeepsTheFirstPathFoundAmongEqualScores) {
  const UnigramModel model = small_model({{"<unk>", 0}, {"a", -1}, {"b", -1}, {"ab", -2}});
  std::vector<SubToken> out;
  ASSERT_TRUE(model.tokenize("ab", &out).ok());
  EXPECT_EQ(out, (std::vector<SubToken>{{3, 0, 2}}));
}

TEST(UnigramTest, FusesRunsOfUnknownCharsIntoOneToken) {
  const UnigramModel model = small_model({{"<unk>", 0}, {"a", -1}, {"b", -1}});
  std::vector<SubToken> out;
  ASSERT_TRUE(model
                  .tokenize("a\xC3\xA9\xC3\xA9"
                            "b",
                            &out)
                  .ok());
  EXPECT_EQ(out, (std::vector<SubToken>{{1, 0, 1}, {0, 1, 5}, {2, 5, 6}}));
  EXPECT_DOUBLE_EQ(model.min_score(), -1);
}

TEST(UnigramTest, FallsBackToBytePiecesWhenAsked) {
  const UnigramModel model = small_model({{"<unk>", 0}, {"a", -1}, {"<0xC3>", -1}, {"<0xA9>", -1}}, true);
  std::vector<SubToken> out;
  ASSERT_TRUE(model.tokenize("a\xC3\xA9", &out).ok());
  EXPECT_EQ(out, (std::vector<SubToken>{{1, 0, 1}, {2, 1, 3}, {3, 1, 3}}));
}

TEST(UnigramTest, RefusesAnUnkIdOutsideTheVocabulary) {
  EXPECT_FALSE(UnigramModel::create({{"a", -1}}, 1).ok());
  EXPECT_FALSE(UnigramModel::create({}, std::nullopt).ok());
  auto no_unk = UnigramModel::create({{"a", -1}}, std::nullopt);
  ASSERT_TRUE(no_unk.ok());
  std::vector<SubToken> out;
  EXPECT_FALSE(no_unk->tokenize("b", &out).ok());
}

TEST(Base64Test, DecodesWithAndWithoutPadding) {
  EXPECT_EQ(decode_base64("aGVsbG8="), "hello");
  EXPECT_EQ(decode_base64("aGVsbG8"), "hello");
  EXPECT_EQ(decode_base64(""), "");
  EXPECT_EQ(decode_base64("a*=="), std::nullopt);
  EXPECT_EQ(decode_base64("a"), std::nullopt);
}

std::string varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

std::string field(uint32_t number, const std::string& bytes) {
  return varint((number << 3) | 2) + varint(bytes.size()) + bytes;
}

std::string piece(const std::string& text, float score, int type) {
  std::string score_bytes(4, '\0');
  std::memcpy(score_bytes.data(), &score, 4);
  return field(1, field(1, text) + varint((2 << 3) | 5) + score_bytes + varint(3 << 3) + varint(type));
}

TEST(SentencePieceModelTest, ConvertsAHandMadeModelWithTheFairseqOffset) {
  const std::string bytes = piece("<unk>", 0, 2) + piece("<s>", 0, 3) + piece("</s>", 0, 3) +
                            piece(kMeta, -1, 1) + piece("a", -2, 1) + piece(kMeta + "a", -1, 1) +
                            field(2, varint(3 << 3) + varint(1));
  auto model = parse_sentencepiece_model(bytes);
  ASSERT_TRUE(model.ok()) << model.error().message;
  auto tokenizer = make_xlm_roberta_tokenizer(*model, FolderConfig{}, "hand.model");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  EXPECT_EQ((*tokenizer)->vocab_size(), 8u);  // 4 specials + 3 pieces + <mask>
  EXPECT_EQ((*tokenizer)->token_to_id("<mask>"), 7);
  auto encoding = (*tokenizer)->encode("a  a<mask>", std::nullopt, {});
  ASSERT_TRUE(encoding.ok());
  EXPECT_EQ(encoding->ids, (std::vector<int32_t>{0, 6, 6, 7, 2}));
  EXPECT_EQ(encoding->offsets[1], (Offset{0, 1}));
  EXPECT_EQ(encoding->offsets[2], (Offset{2, 4}));  // the collapsed run keeps its last space
}

TEST(SentencePieceModelTest, RefusesMalformedProtobufCleanly) {
  const std::string good = piece("<unk>", 0, 2) + piece("<s>", 0, 3) + piece("</s>", 0, 3);
  for (size_t cut = 1; cut < good.size(); ++cut) {
    auto model = parse_sentencepiece_model(good.substr(0, cut));
    if (!model.ok()) {
      EXPECT_EQ(model.error().code, ErrorCode::kCorruptModel);
    }
  }
  EXPECT_FALSE(parse_sentencepiece_model(std::string(11, '\xFF')).ok());         // endless varint
  EXPECT_FALSE(parse_sentencepiece_model(std::string("\x0A\xFF\x01", 3)).ok());  // length past the end
  EXPECT_FALSE(parse_sentencepiece_model(std::string("\x0B", 1)).ok());          // group wire type
  EXPECT_FALSE(parse_sentencepiece_model(field(1, field(1, "\xFF"))).ok());      // piece not UTF-8
  auto bpe = parse_sentencepiece_model(good + field(2, varint(3 << 3) + varint(2)));
  ASSERT_TRUE(bpe.ok());
  auto tokenizer = make_xlm_roberta_tokenizer(*bpe, FolderConfig{}, "bpe.model");
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_EQ(tokenizer.error().code, ErrorCode::kUnsupported);
  auto tiny = parse_sentencepiece_model(piece("<unk>", 0, 2));
  ASSERT_TRUE(tiny.ok());
  EXPECT_FALSE(make_xlm_roberta_tokenizer(*tiny, FolderConfig{}, "tiny.model").ok());
  // Random bytes: errors or models, never a crash.
  std::mt19937 rng(11);
  for (int round = 0; round < 2000; ++round) {
    std::string bytes = good;
    for (int k = 0; k < 3; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    auto m = parse_sentencepiece_model(bytes);
    if (m.ok()) (void)make_xlm_roberta_tokenizer(*m, FolderConfig{}, "random.model");
  }
}

}  // namespace
}  // namespace verdict::tokenizer
