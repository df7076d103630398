// The tabular formats `verdict classify --input` and `verdict eval` read and write.
#pragma once

#include <string>
#include <string_view>

#include "verdict/common/error.h"

namespace verdict::batch {

enum class Format { kCsv, kTsv, kJsonl };

// How CSV/TSV fields may be quoted. kRfc4180: a field that starts with '"' runs to the next
// lone '"' and may hold delimiters, newlines and doubled quotes. kNone: every byte is literal,
// so a field cannot hold the delimiter or a newline (IANA text/tab-separated-values; the UCI
// review files, whose sentences may start with a stray '"', need this).
enum class Quoting { kRfc4180, kNone };

// A record (CSV: one row, which may span lines; JSONL: one line) longer than this is refused:
// it bounds memory on a file with an unclosed quote.
inline constexpr size_t kMaxRecordBytes = size_t{8} << 20;

Result<Format> parse_format(std::string_view name);        // "csv" | "tsv" | "jsonl"
Result<Quoting> parse_quoting(std::string_view name);      // "rfc4180" | "none"
std::string_view format_name(Format format);
// From the file name's extension: .csv, .tsv/.tab, .jsonl/.ndjson. Errors say to pass --format.
Result<Format> format_from_path(std::string_view path);

}  // namespace verdict::batch
