#include "verdict/cli/batch_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "verdict/batch/terminal_report.h"

namespace verdict::cli {

void add_file_options(CLI::App* cmd, FileArgs& a) {
  auto* input = cmd->add_option("--input", a.input, "CSV, TSV or JSONL file to read (- for stdin)");
  // These describe the --input file: alone they would be accepted and do nothing.
  cmd->add_option("--format", a.format, "csv, tsv or jsonl (default: from the file extension)")
      ->check(CLI::IsMember({"csv", "tsv", "jsonl"}, CLI::ignore_case))
      ->needs(input);
  cmd->add_option("--column", a.column, "Column (CSV/TSV) or field (JSONL) holding the text")
      ->capture_default_str()
      ->needs(input);
  cmd->add_option("--columns", a.columns,
                  "Names of the columns of a CSV/TSV file without a header line (e.g. text,label)")
      ->delimiter(',')
      ->needs(input);
  cmd->add_option("--quoting", a.quoting,
                  "CSV/TSV quoting: rfc4180 (\"...\" fields) or none (every byte literal)")
      ->check(CLI::IsMember({"rfc4180", "none"}, CLI::ignore_case))
      ->capture_default_str()
      ->needs(input);
  cmd->add_flag("--skip-invalid", a.skip_invalid,
                "Skip invalid rows (missing field, bad UTF-8, bad JSON) and count them, instead of "
                "stopping at the first")
      ->needs(input);
  cmd->add_flag("--quiet", a.quiet, "No progress line and no summary on stderr");
}

Result<OpenedInput> open_input(const FileArgs& a, std::optional<std::string> label_column) {
  batch::ReaderOptions o;
  auto format = a.format.empty() ? batch::format_from_path(a.input) : batch::parse_format(a.format);
  if (!format.ok()) return format.error();
  o.format = *format;
  auto quoting = batch::parse_quoting(a.quoting);
  if (!quoting.ok()) return quoting.error();
  o.quoting = *quoting;
  o.text_column = a.column;
  o.label_column = std::move(label_column);
  o.column_names = a.columns;
  if (o.format == batch::Format::kJsonl && !a.columns.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "--columns names CSV/TSV columns; JSONL records have field names");
  }

  OpenedInput in;
  std::istream* stream = &std::cin;
  struct stat st {};
  if (a.input == "-") {
    o.source_name = "stdin";
    if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)) in.size = static_cast<uint64_t>(st.st_size);
  } else {
    o.source_name = a.input;
    in.file = std::make_unique<std::ifstream>(a.input, std::ios::binary);
    if (!*in.file) return make_error(ErrorCode::kNotFound, "cannot open " + a.input + ": " + std::strerror(errno));
    if (stat(a.input.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) return make_error(ErrorCode::kInvalidArgument, a.input + " is a directory");
      if (S_ISREG(st.st_mode)) in.size = static_cast<uint64_t>(st.st_size);
    }
    stream = in.file.get();
  }
  auto reader = batch::RecordReader::open(*stream, std::move(o));
  if (!reader.ok()) return reader.error();
  in.reader = std::move(*reader);
  return in;
}

Result<std::unique_ptr<OutputFile>> OutputFile::open(const std::string& path, const std::string& input_path) {
  std::unique_ptr<OutputFile> out(new OutputFile());
  if (path.empty() || path == "-") return out;
  std::error_code ec;
  if (input_path != "-" && std::filesystem::exists(path, ec) && std::filesystem::equivalent(path, input_path, ec)) {
    return make_error(ErrorCode::kInvalidArgument, "--output " + path + " is the input file; write elsewhere");
  }
  // A symlink is written through (the file it names is replaced, the link stays); a FIFO or a
  // device is written in place: renaming a finished file over it would destroy it.
  std::filesystem::path target = path;
  for (int hops = 0; hops < 40 && std::filesystem::is_symlink(target, ec); ++hops) {
    const auto next = std::filesystem::read_symlink(target, ec);
    if (ec) break;
    target = next.is_absolute() ? next : target.parent_path() / next;
  }
  const auto status = std::filesystem::status(target, ec);
  if (std::filesystem::is_directory(status)) {
    return make_error(ErrorCode::kInvalidArgument, "--output " + path + " is a directory");
  }
  out->path_ = target.string();
  out->in_place_ = std::filesystem::exists(status) && !std::filesystem::is_regular_file(status);
  const std::string opened = out->in_place_ ? out->path_ : out->path_ + ".partial";
  out->file_ = std::make_unique<std::ofstream>(opened, std::ios::binary | std::ios::trunc);
  if (!*out->file_) {
    return make_error(ErrorCode::kInvalidArgument, "cannot write " + opened + ": " + std::strerror(errno));
  }
  return out;
}

std::string OutputFile::name() const { return file_ ? path_ : "stdout"; }

OutputFile::~OutputFile() {
  if (file_ && !committed_ && !in_place_) {
    file_->close();
    std::error_code ec;
    std::filesystem::remove(path_ + ".partial", ec);
  }
}

Status OutputFile::commit() {
  if (!file_) {
    std::cout.flush();
    if (!std::cout) return make_error(ErrorCode::kInternal, "cannot write to stdout");
    return {};
  }
  file_->close();
  if (!*file_) return make_error(ErrorCode::kInternal, "cannot write " + path_ + (in_place_ ? "" : ".partial") + ": " + std::strerror(errno));
  committed_ = true;
  if (in_place_) return {};
  std::error_code ec;
  std::filesystem::rename(path_ + ".partial", path_, ec);
  if (ec) {
    committed_ = false;  // the destructor removes the partial file
    return make_error(ErrorCode::kInternal, "cannot rename " + path_ + ".partial to " + path_ + ": " + ec.message());
  }
  return {};
}

Progress::Progress(bool enabled, std::optional<uint64_t> total_bytes)
    : enabled_(enabled && isatty(STDERR_FILENO)), total_(total_bytes) {}

double Progress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(size_t rows, uint64_t bytes) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  drawn_ = true;
  std::cerr << "\r" << batch::format_progress(rows, bytes, total_, seconds()) << "\033[K" << std::flush;
}

void Progress::clear() {
  if (enabled_ && drawn_) std::cerr << "\r\033[K" << std::flush;
  drawn_ = false;
}

}  // namespace verdict::cli
