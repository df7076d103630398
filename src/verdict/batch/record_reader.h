// Records of a CSV/TSV/JSONL file: the text to classify (--column), optionally a true label
// (--label-column), and what is needed to write the record back with the prediction added.
// Not thread-safe.
#pragma once

#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "verdict/batch/byte_source.h"
#include "verdict/batch/delimited_parser.h"
#include "verdict/batch/table_format.h"
#include "verdict/common/error.h"

namespace verdict::batch {

struct ReaderOptions {
  Format format = Format::kCsv;
  Quoting quoting = Quoting::kRfc4180;
  std::string source_name = "-";          // for messages: the file name, or "stdin"
  std::string text_column = "text";
  std::optional<std::string> label_column;
  // Names for the columns of a CSV/TSV file without a header line (empty: the first line is
  // the header).
  std::vector<std::string> column_names;
  size_t max_record_bytes = kMaxRecordBytes;
};

struct Record {
  size_t line = 0;          // 1-based line where it starts
  uint64_t end_offset = 0;  // input bytes consumed once it was read
  // CSV/TSV: the values in column order; JSONL: one element, the line as read.
  std::vector<std::string> fields;
  std::string text;
  std::optional<std::string> label;  // the label column's value (JSON numbers as written)
  // JSONL: what goes before "label"/"score" when the prediction is written into this object
  // (prediction_prefix of its keys).
  std::string output_prefix;
};

// "" when neither "label" nor "score" is among names, else "predicted_" (repeated until neither
// "<prefix>label" nor "<prefix>score" is taken): the prediction never overwrites or repeats a name.
std::string prediction_prefix(const std::vector<std::string>& names);

class RecordReader {
 public:
  // Reads the header of a CSV/TSV file (and checks the columns asked for exist).
  static Result<std::unique_ptr<RecordReader>> open(std::istream& in, ReaderOptions options);

  // The next record into *out; false at the end. Errors name the file, line and field. After a
  // row error (missing field, bad UTF-8, bad JSON) reading can go on when recoverable() is
  // true; a broken quote or an over-long record cannot be skipped past.
  Result<bool> next(Record* out);
  bool recoverable() const { return recoverable_; }

  const ReaderOptions& options() const { return options_; }
  // CSV/TSV column names (from the header or --columns); empty for JSONL.
  const std::vector<std::string>& columns() const { return columns_; }
  bool had_bom() const { return bom_; }
  bool crlf() const { return parser_ && parser_->saw_crlf(); }
  uint64_t bytes_read() const { return source_.consumed(); }

 private:
  RecordReader(std::istream& in, ReaderOptions options);
  Result<bool> next_delimited(Record* out);
  Result<bool> next_jsonl(Record* out);
  Error row_error(size_t line, const std::string& field, const std::string& what) const;

  ReaderOptions options_;
  ByteSource source_;
  std::unique_ptr<DelimitedParser> parser_;
  std::vector<std::string> columns_;
  size_t text_index_ = 0;
  std::optional<size_t> label_index_;
  bool bom_ = false;
  bool recoverable_ = true;
  size_t line_ = 1;  // JSONL
  RawRecord raw_;
};

}  // namespace verdict::batch
