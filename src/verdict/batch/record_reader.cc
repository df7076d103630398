#include "verdict/batch/record_reader.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "verdict/tokenizer/unicode_util.h"

namespace verdict::batch {
namespace {

// Nesting beyond this is refused (a hostile line cannot make the parser's stack deep).
constexpr size_t kMaxJsonDepth = 64;

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// Pulls the top-level fields the reader needs out of one JSON line without building a DOM.
class TopLevelFields : public nlohmann::json_sax<nlohmann::json> {
 public:
  TopLevelFields(const std::string& text_key, const std::optional<std::string>& label_key)
      : text_key_(text_key), label_key_(label_key) {}

  bool null() override { return scalar("null", "null"); }
  bool boolean(bool v) override { return scalar("a boolean", v ? "true" : "false"); }
  bool number_integer(number_integer_t v) override { return scalar("a number", std::to_string(v)); }
  bool number_unsigned(number_unsigned_t v) override { return scalar("a number", std::to_string(v)); }
  bool number_float(number_float_t, const string_t& s) override { return scalar("a number", s); }
  bool string(string_t& v) override { return scalar("a string", v); }
  bool binary(binary_t&) override { return scalar("binary", ""); }
  bool start_object(std::size_t) override { return open("an object"); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open("an array"); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    if (depth_ == 1) {
      key_ = k;
      keys.push_back(k);
    }
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
    error = "not valid JSON at byte " + std::to_string(position) + " (" + ex.what() + ")";
    return false;
  }

  std::string top_kind;  // what the line holds at top level
  std::optional<std::string> text;
  std::string text_kind;  // when the text field is not a string
  std::optional<std::string> label;
  std::string label_kind;
  std::vector<std::string> keys;  // top level
  std::string error;

 private:
  bool scalar(const char* kind, std::string value) {
    if (depth_ == 0) {
      top_kind = kind;
      return true;
    }
    if (depth_ == 1) take(kind, std::move(value), std::string(kind) == "a string");
    return true;
  }
  void take(const char* kind, std::string value, bool is_string) {
    if (key_ == text_key_) {
      if (is_string) {
        text = std::move(value);
        text_kind.clear();
      } else {
        text.reset();
        text_kind = kind;
      }
    }
    if (label_key_ && key_ == *label_key_) {
      if (is_string || std::string(kind) == "a number" || std::string(kind) == "a boolean") {
        label = std::move(value);
        label_kind.clear();
      } else {
        label.reset();
        label_kind = kind;
      }
    }
  }
  bool open(const char* kind) {
    if (depth_ == 0) top_kind = kind;
    if (depth_ == 1) take(kind, "", false);
    if (++depth_ > kMaxJsonDepth) {
      error = "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
      return false;
    }
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }

  const std::string& text_key_;
  const std::optional<std::string>& label_key_;
  size_t depth_ = 0;
  std::string key_;
};

}  // namespace

RecordReader::RecordReader(std::istream& in, ReaderOptions options)
    : options_(std::move(options)), source_(in) {}

Error RecordReader::row_error(size_t line, const std::string& field, const std::string& what) const {
  std::string msg = options_.source_name + " line " + std::to_string(line);
  if (!field.empty()) msg += ", field " + quoted(field);
  return make_error(ErrorCode::kInvalidArgument, msg + ": " + what);
}

Result<std::unique_ptr<RecordReader>> RecordReader::open(std::istream& in, ReaderOptions options) {
  std::unique_ptr<RecordReader> r(new RecordReader(in, std::move(options)));
  const auto& o = r->options_;
  r->bom_ = r->source_.skip_bom();
  if (o.format == Format::kJsonl) return r;

  r->parser_ = std::make_unique<DelimitedParser>(r->source_, o.format == Format::kTsv ? '\t' : ',', o.quoting,
                                                 o.max_record_bytes);
  if (!o.column_names.empty()) {
    r->columns_ = o.column_names;
  } else {
    RawRecord header;
    auto got = r->parser_->next(&header);
    if (!got.ok()) return make_error(got.error().code, o.source_name + " " + got.error().message);
    if (!*got) {
      return make_error(ErrorCode::kInvalidArgument,
                        o.source_name + " is empty: expected a header line naming the columns "
                                        "(or name them with --columns)");
    }
    r->columns_ = std::move(header.fields);
  }
  auto find = [&](const std::string& name) -> std::optional<size_t> {
    for (size_t i = 0; i < r->columns_.size(); ++i) {
      if (r->columns_[i] == name) return i;
    }
    return std::nullopt;
  };
  std::string names;
  for (const auto& c : r->columns_) names += (names.empty() ? "" : ", ") + quoted(c);
  const auto missing = [&](const std::string& name, const char* option) {
    return make_error(ErrorCode::kInvalidArgument, o.source_name + ": no column " + quoted(name) +
                                                       " (columns: " + names + "); choose one with " +
                                                       option);
  };
  auto text = find(o.text_column);
  if (!text) return missing(o.text_column, "--column");
  r->text_index_ = *text;
  if (o.label_column) {
    r->label_index_ = find(*o.label_column);
    if (!r->label_index_) return missing(*o.label_column, "--label-column");
  }
  return r;
}

Result<bool> RecordReader::next(Record* out) {
  recoverable_ = true;
  return options_.format == Format::kJsonl ? next_jsonl(out) : next_delimited(out);
}

Result<bool> RecordReader::next_delimited(Record* out) {
  auto got = parser_->next(&raw_);
  if (!got.ok()) {
    recoverable_ = false;
    return make_error(got.error().code, options_.source_name + " " + got.error().message);
  }
  if (!*got) return false;
  out->line = raw_.line;
  out->end_offset = raw_.end_offset;
  if (raw_.fields.size() != columns_.size()) {
    return row_error(raw_.line, "",
                     std::to_string(raw_.fields.size()) + (raw_.fields.size() == 1 ? " field" : " fields") +
                         " but the header has " + std::to_string(columns_.size()) +
                         (options_.quoting == Quoting::kNone || options_.format == Format::kCsv
                              ? ""
                              : " (if this file does not quote fields, use --quoting none)"));
  }
  out->fields = raw_.fields;
  out->text = out->fields[text_index_];
  if (const size_t bad = tokenizer::find_invalid_utf8(out->text); bad != tokenizer::kValidUtf8) {
    return row_error(out->line, columns_[text_index_],
                     "not valid UTF-8 (byte " + std::to_string(bad) + " of the field)");
  }
  out->label.reset();
  if (label_index_) out->label = out->fields[*label_index_];
  return true;
}

Result<bool> RecordReader::next_jsonl(Record* out) {
  std::string line;
  for (;;) {
    line.clear();
    int c = source_.peek();
    if (c == ByteSource::kEof) return false;
    const size_t number = line_;
    bool too_long = false;
    while ((c = source_.get()) != ByteSource::kEof && c != '\n') {
      if (line.size() < options_.max_record_bytes) {
        line.push_back(static_cast<char>(c));
      } else {
        too_long = true;
      }
    }
    ++line_;
    if (source_.failed()) {
      recoverable_ = false;
      return make_error(ErrorCode::kInternal, options_.source_name + ": read error");
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out->line = number;
    out->end_offset = source_.consumed();
    if (too_long) {
      return row_error(number, "", "line longer than " + std::to_string(options_.max_record_bytes >> 20) + " MiB");
    }
    if (line.find_first_not_of(" \t") != std::string::npos) break;
  }
  TopLevelFields fields(options_.text_column, options_.label_column);
  const bool ok = nlohmann::json::sax_parse(line, &fields, nlohmann::json::input_format_t::json, /*strict=*/true);
  if (!ok) return row_error(out->line, "", fields.error.empty() ? "not valid JSON" : fields.error);
  if (fields.top_kind != "an object") {
    return row_error(out->line, "", "expected a JSON object, found " + fields.top_kind);
  }
  if (!fields.text) {
    return row_error(out->line, options_.text_column,
                     fields.text_kind.empty() ? "missing (choose the text field with --column)"
                                              : "is " + fields.text_kind + ", expected a string");
  }
  out->label.reset();
  if (options_.label_column) {
    if (!fields.label) {
      return row_error(out->line, *options_.label_column,
                       fields.label_kind.empty() ? "missing" : "is " + fields.label_kind +
                                                                   ", expected a string or number");
    }
    out->label = std::move(fields.label);
  }
  out->text = std::move(*fields.text);
  out->output_prefix = prediction_prefix(fields.keys);
  out->fields.assign(1, std::move(line));
  return true;
}

std::string prediction_prefix(const std::vector<std::string>& names) {
  const auto taken = [&](const std::string& name) { return std::find(names.begin(), names.end(), name) != names.end(); };
  std::string prefix;
  while (taken(prefix + "label") || taken(prefix + "score")) prefix += "predicted_";
  return prefix;
}

}  // namespace verdict::batch
