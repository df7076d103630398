// Splits CSV/TSV bytes into records of fields (RFC 4180, with the usual leniencies): LF or CRLF
// line ends, a quote inside an unquoted field is literal, blank lines are skipped (so a record
// of one empty field must be written "" to survive). Not thread-safe.
#pragma once

#include <string>
#include <vector>

#include "verdict/batch/byte_source.h"
#include "verdict/batch/table_format.h"
#include "verdict/common/error.h"

namespace verdict::batch {

struct RawRecord {
  std::vector<std::string> fields;
  size_t line = 0;         // 1-based line where the record starts
  uint64_t end_offset = 0; // bytes consumed once it was read
};

class DelimitedParser {
 public:
  DelimitedParser(ByteSource& source, char delimiter, Quoting quoting,
                  size_t max_record_bytes = kMaxRecordBytes);
  // The next record into *out; false at the end. Errors ("line 7: ...") leave the parser in a
  // state it cannot resume from (an unclosed or misplaced quote loses the record boundaries).
  Result<bool> next(RawRecord* out);
  // True once a record ended with CRLF (writers keep the input's line ends).
  bool saw_crlf() const { return saw_crlf_; }

 private:
  ByteSource& src_;
  const char delim_;
  const Quoting quoting_;
  const size_t max_bytes_;
  size_t line_ = 1;
  bool saw_crlf_ = false;
};

}  // namespace verdict::batch
