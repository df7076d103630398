#include "verdict/batch/table_format.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace verdict::batch {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

Result<Format> parse_format(std::string_view name) {
  const auto n = lower(name);
  if (n == "csv") return Format::kCsv;
  if (n == "tsv") return Format::kTsv;
  if (n == "jsonl") return Format::kJsonl;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown format \"" + std::string(name) + "\"; expected csv, tsv or jsonl");
}

Result<Quoting> parse_quoting(std::string_view name) {
  const auto n = lower(name);
  if (n == "rfc4180") return Quoting::kRfc4180;
  if (n == "none") return Quoting::kNone;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown quoting \"" + std::string(name) + "\"; expected rfc4180 or none");
}

std::string_view format_name(Format format) {
  switch (format) {
    case Format::kCsv: return "csv";
    case Format::kTsv: return "tsv";
    case Format::kJsonl: return "jsonl";
  }
  return "csv";
}

Result<Format> format_from_path(std::string_view path) {
  const auto ext = lower(std::filesystem::path(path).extension().string());
  if (ext == ".csv") return Format::kCsv;
  if (ext == ".tsv" || ext == ".tab") return Format::kTsv;
  if (ext == ".jsonl" || ext == ".ndjson") return Format::kJsonl;
  const std::string what = path == "-" ? "standard input" : std::string(path);
  return make_error(ErrorCode::kInvalidArgument,
                    "cannot tell the format of " + what + " from its name; pass --format csv, tsv or jsonl");
}

}  // namespace verdict::batch
