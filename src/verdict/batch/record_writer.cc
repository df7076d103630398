#include "verdict/batch/record_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

namespace verdict::batch {

Result<std::string> format_field(std::string_view value, char delimiter, Quoting quoting, bool only_field) {
  const bool special = value.find_first_of(std::string{delimiter, '"', '\r', '\n'}) != std::string_view::npos;
  if (quoting == Quoting::kNone) {
    if (value.find_first_of(std::string{delimiter, '\r', '\n'}) != std::string_view::npos) {
      return make_error(ErrorCode::kInvalidArgument,
                        "a value holds a delimiter or line break, which an unquoted file cannot "
                        "represent; use --quoting rfc4180");
    }
    return std::string(value);
  }
  if (!special && !(only_field && value.empty())) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string format_score(float score) { return nlohmann::json(score).dump(); }

RecordWriter::RecordWriter(std::ostream& out, Format format, Quoting quoting, bool crlf)
    : out_(out), format_(format), quoting_(quoting), eol_(crlf ? "\r\n" : "\n") {}

Result<std::unique_ptr<RecordWriter>> RecordWriter::create(std::ostream& out, const RecordReader& reader) {
  const auto& o = reader.options();
  std::unique_ptr<RecordWriter> w(new RecordWriter(out, o.format, o.quoting, reader.crlf()));
  if (reader.had_bom()) out << "\xEF\xBB\xBF";
  if (o.format == Format::kJsonl) return w;
  std::vector<std::string_view> header(reader.columns().begin(), reader.columns().end());
  const std::string prefix = prediction_prefix(reader.columns());
  const std::string label = prefix + "label", score = prefix + "score";
  header.push_back(label);
  header.push_back(score);
  if (auto st = w->write_row(header); !st.ok()) return st.error();
  return w;
}

Status RecordWriter::write_row(const std::vector<std::string_view>& fields) {
  const char delim = format_ == Format::kTsv ? '\t' : ',';
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) line += delim;
    auto f = format_field(fields[i], delim, quoting_, fields.size() == 1);
    if (!f.ok()) return f.error();
    line += *f;
  }
  line += eol_;
  out_ << line;
  if (!out_) return make_error(ErrorCode::kInternal, std::string("cannot write: ") + std::strerror(errno));
  return {};
}

Status RecordWriter::write(const Record& record, std::string_view label, float score) {
  if (format_ != Format::kJsonl) {
    std::vector<std::string_view> row(record.fields.begin(), record.fields.end());
    const std::string s = format_score(score);
    row.push_back(label);
    row.push_back(s);
    return write_row(row);
  }
  // The reader checked the line is one JSON object: insert before its closing brace.
  std::string_view line = record.fields.empty() ? std::string_view("{}") : std::string_view(record.fields[0]);
  const size_t close = line.find_last_of('}');
  if (close == std::string_view::npos) return make_error(ErrorCode::kInternal, "JSONL record is not an object");
  const size_t last = line.find_last_not_of(" \t\r\n", close == 0 ? 0 : close - 1);
  const bool empty_object = last == std::string_view::npos || line[last] == '{';
  const std::string& prefix = record.output_prefix;
  std::string out(line.substr(0, close));
  if (!empty_object) out += ',';
  out += "\"" + prefix + "label\":" + nlohmann::json(std::string(label)).dump() + ",\"" + prefix +
         "score\":" + format_score(score) + "}" + eol_;
  out_ << out;
  if (!out_) return make_error(ErrorCode::kInternal, std::string("cannot write: ") + std::strerror(errno));
  return {};
}

}  // namespace verdict::batch
