#include "verdict/batch/delimited_parser.h"

namespace verdict::batch {

DelimitedParser::DelimitedParser(ByteSource& source, char delimiter, Quoting quoting, size_t max_record_bytes)
    : src_(source), delim_(delimiter), quoting_(quoting), max_bytes_(max_record_bytes) {}

Result<bool> DelimitedParser::next(RawRecord* out) {
  out->fields.clear();
  // Blank lines between records are skipped.
  for (;;) {
    const int c = src_.peek();
    if (c == ByteSource::kEof) return false;
    if (c == '\n') {
      src_.get();
      ++line_;
    } else if (c == '\r') {
      src_.get();
      if (src_.peek() != '\n') {  // a lone CR starts a field
        out->fields.emplace_back("\r");
        break;
      }
    } else {
      out->fields.emplace_back();
      break;
    }
  }
  out->line = line_;
  const auto where = [&] { return "line " + std::to_string(out->line) + ": "; };
  size_t bytes = out->fields.back().size();
  std::string* field = &out->fields.back();
  bool at_field_start = field->empty();
  for (;;) {
    int c = src_.get();
    if (bytes > max_bytes_) {
      return make_error(ErrorCode::kInvalidArgument,
                        where() + "record longer than " + std::to_string(max_bytes_ >> 20) +
                            " MiB (an unclosed quote?)");
    }
    if (at_field_start && c == '"' && quoting_ == Quoting::kRfc4180) {
      at_field_start = false;
      const size_t quote_line = line_;
      for (;;) {
        c = src_.get();
        if (c == ByteSource::kEof) {
          return make_error(ErrorCode::kInvalidArgument,
                            "line " + std::to_string(quote_line) + ": field " + std::to_string(out->fields.size()) +
                                " opens a quote that is never closed (if this file does not quote "
                                "fields, use --quoting none)");
        }
        if (c == '"') {
          if (src_.peek() != '"') break;
          src_.get();
        } else if (c == '\n') {
          ++line_;
        }
        field->push_back(static_cast<char>(c));
        if (++bytes > max_bytes_) {
          return make_error(ErrorCode::kInvalidArgument,
                            "line " + std::to_string(quote_line) + ": record longer than " +
                                std::to_string(max_bytes_ >> 20) + " MiB (an unclosed quote?)");
        }
      }
      const int after = src_.peek();
      if (after != delim_ && after != '\n' && after != '\r' && after != ByteSource::kEof) {
        return make_error(ErrorCode::kInvalidArgument,
                          "line " + std::to_string(line_) + ": field " + std::to_string(out->fields.size()) +
                              " has text after its closing quote (a quote inside a quoted field must be "
                              "doubled; if this file does not quote fields, use --quoting none)");
      }
      continue;
    }
    at_field_start = false;
    if (c == ByteSource::kEof) break;
    if (c == delim_) {
      out->fields.emplace_back();
      field = &out->fields.back();
      at_field_start = true;
      continue;
    }
    if (c == '\n') {
      ++line_;
      break;
    }
    if (c == '\r' && src_.peek() == '\n') {
      src_.get();
      ++line_;
      saw_crlf_ = true;
      break;
    }
    field->push_back(static_cast<char>(c));
    ++bytes;
  }
  if (src_.failed()) return make_error(ErrorCode::kInternal, where() + "read error");
  out->end_offset = src_.consumed();
  return true;
}

}  // namespace verdict::batch
