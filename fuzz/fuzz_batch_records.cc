// Bytes as a `verdict classify --input` / `verdict eval` file through RecordReader, then every
// record back out through RecordWriter and read again. The first byte picks the options: bits
// 0-1 the format (CSV, TSV, JSONL), bit 2 no quoting, bit 3 a label column, bit 4 a header-less
// file with named columns, bit 5 a 64-byte record limit. Checked: texts are valid UTF-8, rows
// the reader accepted are written, and the written file reads back to the same texts.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "encoding_checks.h"
#include "fuzz_util.h"
#include "verdict/batch/record_reader.h"
#include "verdict/batch/record_writer.h"

namespace {

using namespace verdict::batch;
using verdict::fuzz::check;

ReaderOptions options_from(uint8_t flags) {
  ReaderOptions o;
  o.format = (flags & 3) == 1 ? Format::kTsv : (flags & 3) == 2 ? Format::kJsonl : Format::kCsv;
  o.quoting = (flags & 4) ? Quoting::kNone : Quoting::kRfc4180;
  o.source_name = "fuzz";
  if (flags & 8) o.label_column = "label";
  if ((flags & 16) && o.format != Format::kJsonl) o.column_names = {"text", "label"};
  if (flags & 32) o.max_record_bytes = 64;
  return o;
}

// Every record the reader gives, skipping recoverable row errors (as `verdict classify` does).
std::vector<Record> read_all(const std::string& bytes, const ReaderOptions& options,
                             std::unique_ptr<RecordReader>* keep) {
  std::vector<Record> records;
  std::istringstream in(bytes);
  auto reader = RecordReader::open(in, options);
  if (!reader.ok()) {
    check(!reader.error().message.empty(), "open: an error without a message");
    return records;
  }
  for (size_t guard = 0; guard <= bytes.size() + 1; ++guard) {
    Record r;
    auto more = (*reader)->next(&r);
    if (!more.ok()) {
      check(!more.error().message.empty(), "next: an error without a message");
      if (!(*reader)->recoverable()) break;
      continue;
    }
    if (!*more) break;
    check(verdict::fuzz::is_valid_utf8(r.text), "a record text that is not UTF-8");
    check(r.line >= 1, "a record on line 0");
    records.push_back(std::move(r));
  }
  if (keep) *keep = std::move(*reader);
  return records;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ReaderOptions options = options_from(data[0]);
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::unique_ptr<RecordReader> reader;
  const std::vector<Record> records = read_all(bytes, options, &reader);
  if (!reader) return 0;

  std::ostringstream written;
  auto writer = RecordWriter::create(written, *reader);
  // An unquoted header can hold what an unquoted file cannot write back (a lone CR inside a
  // column name): the writer must then refuse with the way out, never write a broken file.
  if (!writer.ok()) {
    check(writer.error().message.find("--quoting rfc4180") != std::string::npos,
          "no writer for a file the reader opened: ", writer.error().message);
    return 0;
  }
  size_t kept = 0;
  std::vector<std::string> texts;
  for (const Record& r : records) {
    if (auto s = (*writer)->write(r, "NEGATIVE", 0.25f); !s.ok()) continue;  // e.g. a field with a tab, unquoted
    texts.push_back(r.text);
    ++kept;
  }
  // Read the output back: named columns come from its header now.
  ReaderOptions again = options;
  again.column_names.clear();
  again.label_column.reset();
  again.max_record_bytes = kMaxRecordBytes;
  const std::vector<Record> back = read_all(written.str(), again, nullptr);
  check(back.size() == kept, "wrote ", kept, " records, read back ", back.size());
  for (size_t i = 0; i < back.size() && i < texts.size(); ++i) {
    check(back[i].text == texts[i], "record ", i, ": the text changed in the round trip");
  }
  return 0;
}
