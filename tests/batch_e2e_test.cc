// `verdict classify --input` and `verdict eval` as a user runs them: files in every format give
// the answers `verdict classify` gives for the same texts, in input order; eval's numbers are
// the known ones; bad files fail with one line naming file, line and field.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "testing/process.h"
#include "testing/testdata.h"
#include "verdict/batch/record_reader.h"

namespace verdict {
namespace {

using testing::run_process;
using testing::verdict_binary;

std::string tiny() { return (testing::testdata_dir() / "models" / "distilbert-sst2-tiny").string(); }

const std::vector<std::string> kTexts = {
    "We are very happy to include pipeline into the transformers repository.",
    "that was great",
    "Terrible, \"awful\" service; never again",
    "a text with\na newline",
    "Héllo, wörld!\tTabbed",
    "",
    "ok",
};

// Batches of other compositions sum in another order: scores agree to float rounding.
constexpr double kScoreTolerance = 1e-5;

struct Expected {
  std::string label;
  std::string score;  // as verdict classify prints it
};

// The reference: `verdict classify --jsonl` on the same texts.
std::vector<Expected> classify_reference(const std::vector<std::string>& texts) {
  std::string input;
  for (const auto& t : texts) input += nlohmann::json(t).dump() + "\n";
  const auto r = run_process({verdict_binary(), "classify", "--model", tiny(), "--jsonl"}, input);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<Expected> out;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    // Keep the score's text: parse the label, cut the score out of the line as printed.
    const auto j = nlohmann::json::parse(line);
    const auto at = line.find("\"score\":") + 8;
    out.push_back({j["label"], line.substr(at, line.size() - at - 1)});
  }
  EXPECT_EQ(out.size(), texts.size());
  return out;
}

std::string csv_field(const std::string& v, char delim) {
  if (v.find_first_of(std::string{delim, '"', '\n', '\r'}) == std::string::npos) return v;
  std::string s = "\"";
  for (char c : v) s += c == '"' ? std::string("\"\"") : std::string(1, c);
  return s + "\"";
}

// Reads a CSV/TSV output back with the library's reader.
std::vector<batch::Record> read_table(const std::string& bytes, batch::Format format, std::vector<std::string>* cols) {
  std::istringstream in(bytes);
  batch::ReaderOptions o;
  o.format = format;
  auto reader = batch::RecordReader::open(in, o);
  EXPECT_TRUE(reader.ok()) << reader.error().message;
  if (!reader.ok()) return {};
  *cols = (*reader)->columns();
  std::vector<batch::Record> out;
  for (;;) {
    batch::Record r;
    auto got = (*reader)->next(&r);
    EXPECT_TRUE(got.ok()) << got.error().message;
    if (!got.ok() || !*got) break;
    out.push_back(r);
  }
  return out;
}

void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class BatchFileTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("verdict-batch-"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(BatchFileTest, CsvAndTsvGiveClassifyAnswersInInputOrderWithColumnsKept) {
  const auto expected = classify_reference(kTexts);
  for (char delim : {',', '\t'}) {
    const auto format = delim == ',' ? batch::Format::kCsv : batch::Format::kTsv;
    std::string file = std::string("id") + delim + "text\r\n";
    for (size_t i = 0; i < kTexts.size(); ++i) {
      // An empty only-field would be a blank line; here it has an id column beside it.
      file += std::to_string(i) + delim + csv_field(kTexts[i], delim) + "\r\n";
    }
    const auto path = dir_ / (delim == ',' ? "in.csv" : "in.tsv");
    write_file(path, file);
    const auto r = run_process({verdict_binary(), "classify", "--model", tiny(), "--input", path.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> cols;
    const auto rows = read_table(r.out, format, &cols);
    EXPECT_EQ(cols, (std::vector<std::string>{"id", "text", "label", "score"}));
    ASSERT_EQ(rows.size(), kTexts.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(rows[i].fields[0], std::to_string(i));
      EXPECT_EQ(rows[i].fields[1], kTexts[i]);
      EXPECT_EQ(rows[i].fields[2], expected[i].label) << i;
      EXPECT_NEAR(std::stod(rows[i].fields[3]), std::stod(expected[i].score), kScoreTolerance) << i;
    }
    EXPECT_NE(r.out.find("\r\n"), std::string::npos);  // the input's line ends are kept
    EXPECT_NE(r.err.find("7 rows in"), std::string::npos) << r.err;
  }
}

TEST_F(BatchFileTest, JsonlFromStdinToAFileKeepsFieldsAndAddsLabelAndScore) {
  const auto expected = classify_reference(kTexts);
  std::string input;
  for (size_t i = 0; i < kTexts.size(); ++i) {
    input += nlohmann::json({{"review", kTexts[i]}, {"n", i}, {"label", "gold"}}).dump() + "\n";
  }
  const auto out = dir_ / "out.jsonl";
  const auto r = run_process({verdict_binary(), "classify", "--model", tiny(), "--input", "-", "--format", "jsonl",
                              "--column", "review", "--output", out.string(), "--quiet"},
                             input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");  // --quiet
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out.jsonl.partial"));
  std::istringstream lines(read_file(out));
  size_t i = 0;
  for (std::string line; std::getline(lines, line); ++i) {
    const auto j = nlohmann::json::parse(line);
    ASSERT_LT(i, kTexts.size());
    EXPECT_EQ(j["review"], kTexts[i]);
    EXPECT_EQ(j["n"], i);
    EXPECT_EQ(j["label"], "gold");  // the input's own field stays
    EXPECT_EQ(j["predicted_label"], expected[i].label);
    EXPECT_NEAR(j["predicted_score"].get<double>(), std::stod(expected[i].score), kScoreTolerance) << line;
  }
  EXPECT_EQ(i, kTexts.size());
}

TEST_F(BatchFileTest, ALongFileStreamsThroughManyBatchesInOrder) {
  std::vector<std::string> texts;
  for (int i = 0; i < 1200; ++i) texts.push_back("review number " + std::to_string(i) + (i % 3 ? " great" : " bad"));
  const auto expected = classify_reference(texts);
  std::string csv = "text\n";
  for (const auto& t : texts) csv += t + "\n";
  const auto r = run_process({verdict_binary(), "classify", "--model", tiny(), "--input", "-", "--format", "csv",
                              "--max-batch-tokens", "200"},
                             csv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> cols;
  const auto rows = read_table(r.out, batch::Format::kCsv, &cols);
  ASSERT_EQ(rows.size(), texts.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].fields[0], texts[i]);
    ASSERT_EQ(rows[i].fields[1], expected[i].label);
    ASSERT_NEAR(std::stod(rows[i].fields[2]), std::stod(expected[i].score), kScoreTolerance);
  }
}

// A labelled file whose answer is known: the labels are the reference predictions, with three
// of ten flipped, so accuracy is 0.700.
TEST_F(BatchFileTest, EvalPrintsTheKnownAccuracyAndWritesAReport) {
  std::vector<std::string> texts;
  for (int i = 0; i < 10; ++i) texts.push_back("sample review " + std::to_string(i * 37));
  const auto expected = classify_reference(texts);
  std::string tsv;
  for (size_t i = 0; i < texts.size(); ++i) {
    const bool flip = i % 3 == 1;  // rows 1, 4, 7
    const bool pos = (expected[i].label == "POSITIVE") != flip;
    tsv += texts[i] + "\t" + (pos ? "1" : "0") + "\n";
  }
  const auto path = dir_ / "labelled.txt";
  write_file(path, tsv);
  const auto report = dir_ / "report.html";
  const auto r = run_process({verdict_binary(), "eval", "--model", tiny(), "--input", path.string(), "--format",
                              "tsv", "--quoting", "none", "--columns", "text,label", "--label-column", "label",
                              "--label-map", "0=NEGATIVE,1=POSITIVE", "--report", report.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "accuracy: 0.700") << r.out;
  EXPECT_NE(r.out.find("rows: 10 (7 correct)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("confusion matrix"), std::string::npos);
  EXPECT_NE(r.out.find("macro avg"), std::string::npos);
  const auto html = read_file(report);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("<b>0.700</b>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST_F(BatchFileTest, EvalRefusesLabelsTheModelDoesNotKnowUnlessMapped) {
  const auto path = dir_ / "l.csv";
  write_file(path, "text,label\ngood,POSITIVE\nbad,0\n");
  auto r = run_process({verdict_binary(), "eval", "--model", tiny(), "--input", path.string(), "--label-column", "label"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "verdict: " + path.string() +
                       " line 3, field \"label\": \"0\" is not a label of the model (NEGATIVE, POSITIVE); map the "
                       "file's labels with --label-map VALUE=LABEL,... (e.g. 0=NEGATIVE,1=POSITIVE)\n");
  r = run_process({verdict_binary(), "eval", "--model", tiny(), "--input", path.string(), "--label-column", "label",
                   "--label-map", "0=NEGATIVE", "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("rows: 2"), std::string::npos);
  r = run_process({verdict_binary(), "eval", "--model", tiny(), "--input", path.string(), "--label-column", "label",
                   "--label-map", "0=BAD"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "verdict: --label-map: \"BAD\" is not a label of the model (NEGATIVE, POSITIVE)\n");
  r = run_process({verdict_binary(), "eval", "--model", tiny(), "--input", path.string(), "--label-column", "label",
                   "--label-map", "0=NEGATIVE,0=POSITIVE"});
  EXPECT_EQ(r.err, "verdict: --label-map: \"0\" is mapped twice\n");
  // A report that cannot be written is refused before the run, not after it.
  r = run_process({verdict_binary(), "eval", "--model", tiny(), "--input", path.string(), "--label-column", "label",
                   "--label-map", "0=NEGATIVE", "--report", (dir_ / "missing" / "r.html").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "verdict: --report " + (dir_ / "missing" / "r.html").string() + ": no folder " +
                       (dir_ / "missing").string() + "\n");
}

TEST_F(BatchFileTest, BadFilesFailWithOneLineNamingFileLineAndField) {
  struct Case {
    std::string name, bytes, expected_err;
  };
  const std::vector<Case> cases = {
      {"a.csv", "id,body\n1,x\n", "a.csv: no column \"text\" (columns: \"id\", \"body\"); choose one with --column"},
      {"b.csv", "text\nfine\nbad \xff\n", "b.csv line 3, field \"text\": not valid UTF-8 (byte 4 of the field)"},
      {"c.jsonl", "{\"text\":\"ok\"}\n{\"text\": \n", "c.jsonl line 2: not valid JSON at byte 10"},
      {"d.csv", "text,n\nx\n", "d.csv line 2: 1 field but the header has 2"},
      {"e.txt", "x\n", "cannot tell the format of E from its name; pass --format csv, tsv or jsonl"},
      {"f.csv", "text\n\"open\n", "f.csv line 2: field 1 opens a quote that is never closed"},
  };
  for (const auto& c : cases) {
    const auto path = dir_ / c.name;
    write_file(path, c.bytes);
    const auto r = run_process({verdict_binary(), "classify", "--model", tiny(), "--input", path.string(),
                                "--output", (dir_ / "out.csv").string()});
    EXPECT_EQ(r.exit_code, 1) << c.name;
    std::string want = c.expected_err;
    if (auto at = want.find("E from"); at != std::string::npos) want.replace(at, 1, path.string());
    else want = dir_.string() + "/" + want;
    EXPECT_EQ(r.err.rfind("verdict: " + want, 0), 0u) << c.name << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "out.csv")) << c.name;  // no half-written output
    EXPECT_FALSE(std::filesystem::exists(dir_ / "out.csv.partial")) << c.name;
  }
}

TEST_F(BatchFileTest, SkipInvalidCountsRowsAndReportsThem) {
  const auto path = dir_ / "s.jsonl";
  write_file(path, "{\"text\":\"a\"}\nnot json\n{\"text\":\"b\"}\n{\"text\":5}\n");
  const auto r = run_process({verdict_binary(), "classify", "--model", tiny(), "--input", path.string(), "--skip-invalid"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2);
  EXPECT_NE(r.err.find("2 invalid rows skipped"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("s.jsonl line 2: not valid JSON"), std::string::npos) << r.err;
}

TEST_F(BatchFileTest, RefusesToOverwriteTheInputAndConflictingOptions) {
  const auto path = dir_ / "in.csv";
  write_file(path, "text\nx\n");
  auto r = run_process({verdict_binary(), "classify", "--model", tiny(), "--input", path.string(), "--output",
                        path.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is the input file"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(path), "text\nx\n");
  r = run_process({verdict_binary(), "classify", "--model", tiny(), "--input", path.string(), "--all-scores"});
  EXPECT_EQ(r.exit_code, 1);
  r = run_process({verdict_binary(), "classify", "--model", tiny(), "--output", "x.csv", "hello"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "verdict: --output needs --input FILE\n");
}

// --output through a symlink replaces the file it names; a FIFO or a device is written in place,
// never replaced by a regular file (renaming a finished file over /dev/full destroyed it).
TEST_F(BatchFileTest, OutputFollowsSymlinksAndWritesFifosAndDevicesInPlace) {
  const auto input = dir_ / "in.csv";
  write_file(input, "text\ngreat\n");
  const auto target = dir_ / "target.csv";
  write_file(target, "old");
  std::filesystem::create_symlink("target.csv", dir_ / "link.csv");
  auto r = run_process({verdict_binary(), "classify", "--model", tiny(), "--input", input.string(), "--output",
                        (dir_ / "link.csv").string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::is_symlink(dir_ / "link.csv"));
  EXPECT_EQ(read_file(target).rfind("text,label,score\ngreat,", 0), 0u) << read_file(target);

  const auto fifo = dir_ / "out.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto reader = std::async(std::launch::async, [&] { return read_file(fifo); });
  r = run_process({verdict_binary(), "classify", "--model", tiny(), "--input", input.string(), "--output",
                   fifo.string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(reader.get().rfind("text,label,score\ngreat,", 0), 0u);
  struct stat st {};
  ASSERT_EQ(stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));

  const auto full = dir_ / "full";  // a /dev/full of our own: every write fails with ENOSPC
  if (mknod(full.c_str(), S_IFCHR | 0666, makedev(1, 7)) != 0) GTEST_SKIP() << "mknod needs root";
  r = run_process({verdict_binary(), "classify", "--model", tiny(), "--input", input.string(), "--output",
                   full.string(), "--quiet"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(full.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  ASSERT_EQ(stat(full.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "the device is still a device";
}

}  // namespace
}  // namespace verdict
