// Writes records back in their input's format with the prediction added: CSV/TSV get a header
// and two more columns, JSONL objects two more fields (the line otherwise unchanged). The added
// names are "label" and "score", or "predicted_label" and "predicted_score" when the input
// already has a column or field of that name (and so on: prediction_prefix). Not thread-safe.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "verdict/batch/record_reader.h"

namespace verdict::batch {

// One CSV/TSV field, quoted when it has to be (delimiter, quote, CR or LF inside; or a lone
// empty field, which would otherwise read back as a blank line). kNone refuses what it cannot
// represent.
Result<std::string> format_field(std::string_view value, char delimiter, Quoting quoting, bool only_field);

// The score as `verdict classify` prints it in JSON (the float widened to double, shortest form).
std::string format_score(float score);

class RecordWriter {
 public:
  // Takes the columns, quoting, BOM and line ends of the reader's input; writes the header.
  static Result<std::unique_ptr<RecordWriter>> create(std::ostream& out, const RecordReader& reader);
  Status write(const Record& record, std::string_view label, float score);

 private:
  RecordWriter(std::ostream& out, Format format, Quoting quoting, bool crlf);
  Status write_row(const std::vector<std::string_view>& fields);

  std::ostream& out_;
  Format format_;
  Quoting quoting_;
  std::string eol_;
};

}  // namespace verdict::batch
