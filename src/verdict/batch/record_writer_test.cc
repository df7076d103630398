#include "verdict/batch/record_writer.h"

#include <gtest/gtest.h>

#include <sstream>

namespace verdict::batch {
namespace {

// Reads `input` with `o`, writes every record back with label "POS" and score 0.25.
std::string round_trip(const std::string& input, ReaderOptions o) {
  std::istringstream in(input);
  auto reader = RecordReader::open(in, o);
  EXPECT_TRUE(reader.ok()) << reader.error().message;
  std::ostringstream out;
  auto writer = RecordWriter::create(out, **reader);
  EXPECT_TRUE(writer.ok());
  for (;;) {
    Record r;
    auto got = (*reader)->next(&r);
    EXPECT_TRUE(got.ok()) << got.error().message;
    if (!got.ok() || !*got) break;
    EXPECT_TRUE((*writer)->write(r, "POS", 0.25f).ok());
  }
  return out.str();
}

TEST(FormatFieldTest, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(*format_field("plain", ',', Quoting::kRfc4180, false), "plain");
  EXPECT_EQ(*format_field("a,b", ',', Quoting::kRfc4180, false), "\"a,b\"");
  EXPECT_EQ(*format_field("say \"hi\"", ',', Quoting::kRfc4180, false), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(*format_field("two\nlines", ',', Quoting::kRfc4180, false), "\"two\nlines\"");
  EXPECT_EQ(*format_field("cr\r", ',', Quoting::kRfc4180, false), "\"cr\r\"");
  EXPECT_EQ(*format_field("a,b", '\t', Quoting::kRfc4180, false), "a,b");
  EXPECT_EQ(*format_field("a\tb", '\t', Quoting::kRfc4180, false), "\"a\tb\"");
  EXPECT_EQ(*format_field("", ',', Quoting::kRfc4180, false), "");
  EXPECT_EQ(*format_field("", ',', Quoting::kRfc4180, true), "\"\"");
  EXPECT_EQ(*format_field("\"x", '\t', Quoting::kNone, false), "\"x");
  EXPECT_FALSE(format_field("a\tb", '\t', Quoting::kNone, false).ok());
}

TEST(FormatScoreTest, MatchesClassifyJson) {
  EXPECT_EQ(format_score(0.25f), "0.25");
  EXPECT_EQ(format_score(0.868227481842041f), "0.868227481842041");
}

TEST(RecordWriterTest, CsvAddsLabelAndScoreAndRoundTripsQuoting) {
  const std::string in = "id,text\n1,\"a, \"\"b\"\"\nc\"\n2,plain\n";
  EXPECT_EQ(round_trip(in, ReaderOptions{}), "id,text,label,score\n1,\"a, \"\"b\"\"\nc\",POS,0.25\n2,plain,POS,0.25\n");
}

TEST(RecordWriterTest, KeepsBomAndCrlf) {
  EXPECT_EQ(round_trip("\xEF\xBB\xBFtext\r\nx\r\n", ReaderOptions{}), "\xEF\xBB\xBFtext,label,score\r\nx,POS,0.25\r\n");
}

TEST(RecordWriterTest, ExistingLabelColumnGetsPredictedNames) {
  EXPECT_EQ(round_trip("text,label\nx,0\n", ReaderOptions{}), "text,label,predicted_label,predicted_score\nx,0,POS,0.25\n");
}

TEST(RecordWriterTest, AnEarlierPredictionIsKeptBesideTheNewOne) {
  EXPECT_EQ(round_trip("text,label,predicted_label\nx,0,NEG\n", ReaderOptions{}),
            "text,label,predicted_label,predicted_predicted_label,predicted_predicted_score\nx,0,NEG,POS,0.25\n");
  ReaderOptions o;
  o.format = Format::kJsonl;
  EXPECT_EQ(round_trip("{\"text\":\"y\",\"score\":1,\"predicted_label\":2}\n", o),
            "{\"text\":\"y\",\"score\":1,\"predicted_label\":2,\"predicted_predicted_label\":\"POS\","
            "\"predicted_predicted_score\":0.25}\n");
}

TEST(RecordWriterTest, HeaderlessTsvGetsAHeaderFromColumnNames) {
  ReaderOptions o;
  o.format = Format::kTsv;
  o.quoting = Quoting::kNone;
  o.column_names = {"text", "stars"};
  EXPECT_EQ(round_trip("\"quoted start\t1\n", o), "text\tstars\tlabel\tscore\n\"quoted start\t1\tPOS\t0.25\n");
}

TEST(RecordWriterTest, JsonlAddsFieldsAndKeepsTheRestVerbatim) {
  ReaderOptions o;
  o.format = Format::kJsonl;
  EXPECT_EQ(round_trip("{\"text\": \"x\", \"n\": 1.50}  \n{\"text\":\"y\",\"label\":\"gold\"}\r\n", o),
            "{\"text\": \"x\", \"n\": 1.50,\"label\":\"POS\",\"score\":0.25}\n"
            "{\"text\":\"y\",\"label\":\"gold\",\"predicted_label\":\"POS\",\"predicted_score\":0.25}\n");
}

}  // namespace
}  // namespace verdict::batch
