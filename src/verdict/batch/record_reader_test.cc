#include "verdict/batch/record_reader.h"

#include <gtest/gtest.h>

#include <sstream>

namespace verdict::batch {
namespace {

struct Read {
  std::vector<Record> records;
  std::optional<Error> error;
  std::vector<std::string> columns;
  bool bom = false;
  bool crlf = false;
};

Read read_all(const std::string& bytes, ReaderOptions o, bool skip_errors = false) {
  std::istringstream in(bytes);
  o.source_name = "in.csv";
  Read r;
  auto reader = RecordReader::open(in, o);
  if (!reader.ok()) {
    r.error = reader.error();
    return r;
  }
  r.columns = (*reader)->columns();
  for (;;) {
    Record rec;
    auto got = (*reader)->next(&rec);
    if (!got.ok()) {
      r.error = got.error();
      if (skip_errors && (*reader)->recoverable()) continue;
      break;
    }
    if (!*got) break;
    r.records.push_back(rec);
  }
  r.bom = (*reader)->had_bom();
  r.crlf = (*reader)->crlf();
  return r;
}

ReaderOptions csv() { return ReaderOptions{}; }
ReaderOptions tsv(Quoting q = Quoting::kRfc4180) {
  ReaderOptions o;
  o.format = Format::kTsv;
  o.quoting = q;
  return o;
}
ReaderOptions jsonl() {
  ReaderOptions o;
  o.format = Format::kJsonl;
  return o;
}

TEST(CsvReaderTest, ReadsHeaderAndRowsWithTheTextColumn) {
  auto r = read_all("id,text\n1,hello\n2,world\n", csv());
  ASSERT_FALSE(r.error) << r.error->message;
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.columns, (std::vector<std::string>{"id", "text"}));
  EXPECT_EQ(r.records[0].text, "hello");
  EXPECT_EQ(r.records[1].fields, (std::vector<std::string>{"2", "world"}));
  EXPECT_EQ(r.records[1].line, 3u);
}

TEST(CsvReaderTest, QuotedFieldsHoldCommasDoubledQuotesAndNewlines) {
  auto r = read_all("text,n\n\"a, \"\"b\"\"\nc\",1\n\"\",2\nafter,3\n", csv());
  ASSERT_FALSE(r.error) << r.error->message;
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].text, "a, \"b\"\nc");
  EXPECT_EQ(r.records[1].text, "");
  EXPECT_EQ(r.records[2].text, "after");
  EXPECT_EQ(r.records[2].line, 5u);  // the embedded newline counts as a line
}

TEST(CsvReaderTest, AcceptsCrlfBomAndSkipsBlankLines) {
  auto r = read_all("\xEF\xBB\xBFtext,label\r\n\r\nfine,1\r\n\n\"x\r\ny\",0\r\n", csv());
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_TRUE(r.bom);
  EXPECT_TRUE(r.crlf);
  EXPECT_EQ(r.columns[0], "text");  // BOM not part of the first name
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].text, "fine");
  EXPECT_EQ(r.records[0].line, 3u);
  EXPECT_EQ(r.records[1].text, "x\r\ny");  // CRLF inside quotes is data
}

TEST(CsvReaderTest, LastLineWithoutNewlineAndQuoteInsideUnquotedField) {
  auto r = read_all("text\nsay \"hi\"\nend", csv());
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].text, "say \"hi\"");
  EXPECT_EQ(r.records[1].text, "end");
}

TEST(CsvReaderTest, MissingColumnNamesTheColumnsFound) {
  auto r = read_all("id,body\n1,x\n", csv());
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->message, "in.csv: no column \"text\" (columns: \"id\", \"body\"); choose one with --column");
}

TEST(CsvReaderTest, EmptyFileAsksForAHeader) {
  auto r = read_all("", csv());
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->message.find("in.csv is empty"), std::string::npos);
}

TEST(CsvReaderTest, WrongFieldCountIsARecoverableRowError) {
  auto r = read_all("text,label\nok,1\nshort\nalso,ok,extra\nfine,0\n", csv(), /*skip_errors=*/true);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->message, "in.csv line 4: 3 fields but the header has 2");
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[1].text, "fine");
}

TEST(CsvReaderTest, BadUtf8NamesLineAndField) {
  auto r = read_all("text\nok\nbad \xff here\n", csv());
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->message, "in.csv line 3, field \"text\": not valid UTF-8 (byte 4 of the field)");
}

TEST(CsvReaderTest, UnclosedQuoteIsFatalAndNamesWhereItOpened) {
  std::istringstream in("text\nfine\n\"never closed\nmore\n");
  ReaderOptions o;
  o.source_name = "in.csv";
  auto reader = RecordReader::open(in, o);
  ASSERT_TRUE(reader.ok());
  Record rec;
  ASSERT_TRUE((*reader)->next(&rec).ok());
  auto got = (*reader)->next(&rec);
  ASSERT_FALSE(got.ok());
  EXPECT_FALSE((*reader)->recoverable());
  EXPECT_NE(got.error().message.find("in.csv line 3: field 1 opens a quote that is never closed"), std::string::npos)
      << got.error().message;
}

TEST(CsvReaderTest, TextAfterClosingQuoteIsAnError) {
  auto r = read_all("text\n\"a\"b\n", csv());
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->message.find("line 2: field 1 has text after its closing quote"), std::string::npos);
}

TEST(CsvReaderTest, OverlongRecordIsRefused) {
  ReaderOptions o = csv();
  o.max_record_bytes = 1 << 20;
  auto r = read_all("text\n\"" + std::string(3 << 20, 'a'), o);
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->message.find("record longer than 1 MiB"), std::string::npos) << r.error->message;
}

TEST(TsvReaderTest, HeaderlessFileWithColumnNamesAndLiteralQuotes) {
  ReaderOptions o = tsv(Quoting::kNone);
  o.column_names = {"text", "label"};
  o.label_column = "label";
  auto r = read_all("\" The structure of this film.  \t1\nCrust is not good.\t0\n", o);
  ASSERT_FALSE(r.error) << r.error->message;
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].text, "\" The structure of this film.  ");
  EXPECT_EQ(r.records[0].label, "1");
  EXPECT_EQ(r.records[1].label, "0");
}

TEST(TsvReaderTest, RfcQuotingWithTabs) {
  auto r = read_all("text\tn\n\"a\tb\"\t1\n", tsv());
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].text, "a\tb");
}

TEST(TsvReaderTest, FieldCountErrorSuggestsQuotingNone) {
  auto r = read_all("text\tlabel\n\"one\t1\nx\" y\t0\n", tsv());
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->message.find("--quoting none"), std::string::npos) << r.error->message;
}

TEST(JsonlReaderTest, ReadsTextAndLabelKeepingTheLine) {
  ReaderOptions o = jsonl();
  o.label_column = "stars";
  auto r = read_all("{\"text\": \"good\", \"stars\": 5, \"x\": [1,{\"text\":2}]}\r\n\n  \n{\"stars\":\"one\",\"text\":\"bad\"}", o);
  ASSERT_FALSE(r.error) << r.error->message;
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].text, "good");
  EXPECT_EQ(r.records[0].label, "5");
  EXPECT_EQ(r.records[0].fields[0], "{\"text\": \"good\", \"stars\": 5, \"x\": [1,{\"text\":2}]}");
  EXPECT_EQ(r.records[1].label, "one");
  EXPECT_EQ(r.records[1].line, 4u);
  EXPECT_EQ(r.records[0].output_prefix, "");
}

TEST(JsonlReaderTest, NotesExistingLabelField) {
  auto r = read_all("{\"text\":\"a\",\"label\":1}\n", jsonl());
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].output_prefix, "predicted_");
}

TEST(PredictionPrefixTest, NeverReusesAName) {
  EXPECT_EQ(prediction_prefix({"text", "stars"}), "");
  EXPECT_EQ(prediction_prefix({"text", "score"}), "predicted_");
  EXPECT_EQ(prediction_prefix({"label", "predicted_score"}), "predicted_predicted_");
  EXPECT_EQ(prediction_prefix({"label", "predicted_label", "predicted_predicted_label"}), "predicted_predicted_predicted_");
}

TEST(JsonlReaderTest, RowErrorsNameLineAndField) {
  ReaderOptions o = jsonl();
  o.label_column = "label";
  std::istringstream in(
      "{\"text\":1,\"label\":0}\n{\"label\":0}\n[1]\n{\"text\":\"x\"}\n{bad\n{\"text\":\"\xff\",\"label\":0}\n"
      "{\"text\":\"ok\",\"label\":[0]}\n{\"text\":\"fine\",\"label\":0}\n");
  o.source_name = "in.jsonl";
  auto reader = RecordReader::open(in, o);
  ASSERT_TRUE(reader.ok());
  std::vector<std::string> errors;
  std::vector<std::string> texts;
  for (;;) {
    Record rec;
    auto got = (*reader)->next(&rec);
    if (!got.ok()) {
      ASSERT_TRUE((*reader)->recoverable());
      errors.push_back(got.error().message);
      continue;
    }
    if (!*got) break;
    texts.push_back(rec.text);
  }
  ASSERT_EQ(errors.size(), 7u);
  EXPECT_EQ(errors[0], "in.jsonl line 1, field \"text\": is a number, expected a string");
  EXPECT_EQ(errors[1], "in.jsonl line 2, field \"text\": missing (choose the text field with --column)");
  EXPECT_EQ(errors[2], "in.jsonl line 3: expected a JSON object, found an array");
  EXPECT_EQ(errors[3], "in.jsonl line 4, field \"label\": missing");
  EXPECT_NE(errors[4].find("in.jsonl line 5: not valid JSON"), std::string::npos) << errors[4];
  EXPECT_NE(errors[5].find("in.jsonl line 6: not valid JSON"), std::string::npos) << errors[5];
  EXPECT_EQ(errors[6], "in.jsonl line 7, field \"label\": is an array, expected a string or number");
  EXPECT_EQ(texts, (std::vector<std::string>{"fine"}));
}

TEST(JsonlReaderTest, DeepNestingIsRefusedNotRecursed) {
  const std::string deep = "{\"text\":\"a\",\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}\n";
  auto r = read_all(deep, jsonl());
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->message.find("nested deeper than 64"), std::string::npos) << r.error->message;
}

TEST(JsonlReaderTest, OverlongLineIsARecoverableError) {
  ReaderOptions o = jsonl();
  o.max_record_bytes = 1 << 20;
  auto r = read_all("{\"text\":\"" + std::string(2 << 20, 'a') + "\"}\n{\"text\":\"ok\"}\n", o, true);
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->message.find("line 1: line longer than 1 MiB"), std::string::npos);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].line, 2u);
}

TEST(ReaderFuzzishTest, ArbitraryBytesNeverCrash) {
  // A cheap deterministic sweep of hostile inputs through every format (the ASan build runs it).
  uint32_t seed = 12345;
  const std::string alphabet = "\",\t\r\n\\{}[]:a\xff\xc3\xa9 0";
  for (int round = 0; round < 2000; ++round) {
    std::string bytes;
    const int len = round % 64;
    for (int i = 0; i < len; ++i) {
      seed = seed * 1664525u + 1013904223u;
      bytes += alphabet[(seed >> 16) % alphabet.size()];
    }
    for (auto o : {csv(), tsv(), tsv(Quoting::kNone), jsonl()}) {
      o.text_column = round % 2 ? "a" : "text";
      auto r = read_all(bytes, o, true);
      (void)r;
    }
  }
}

}  // namespace
}  // namespace verdict::batch
