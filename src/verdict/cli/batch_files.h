// What `verdict classify --input` and `verdict eval` share: the file options, opening the
// input and output ("-" is stdin/stdout), and the progress line on a terminal.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "verdict/batch/record_reader.h"
#include "verdict/model/sequence_classifier.h"

namespace verdict::cli {

struct FileArgs {
  std::string input;
  std::string format;  // empty: from the extension
  std::string column = "text";
  std::vector<std::string> columns;
  std::string quoting = "rfc4180";
  bool skip_invalid = false;
  bool quiet = false;
};

// --input, --format, --column, --columns, --quoting, --skip-invalid, --quiet.
void add_file_options(CLI::App* cmd, FileArgs& args);

// The opened input: the stream, its reader and its size when known (for the ETA).
struct OpenedInput {
  std::unique_ptr<std::ifstream> file;  // null for stdin
  std::unique_ptr<batch::RecordReader> reader;
  std::optional<uint64_t> size;
};
Result<OpenedInput> open_input(const FileArgs& args, std::optional<std::string> label_column);

// Writes to FILE.partial and renames it to FILE on commit(), so a failed run leaves no file that
// looks complete; "-" or empty is stdout. A symlink is followed; a FIFO or device is written in place.
class OutputFile {
 public:
  static Result<std::unique_ptr<OutputFile>> open(const std::string& path, const std::string& input_path);
  ~OutputFile();  // removes the partial file unless committed
  std::ostream& stream() { return file_ ? *file_ : std::cout; }
  Status commit();
  std::string name() const;  // the output's path, or "stdout", for messages

 private:
  std::string path_;
  std::unique_ptr<std::ofstream> file_;
  bool in_place_ = false;  // a FIFO or device: written directly, never renamed over
  bool committed_ = false;
};

// "rows, rate, [bar, percent, ETA]" redrawn on stderr at most ten times a second, only when
// stderr is a terminal (and not --quiet).
class Progress {
 public:
  Progress(bool enabled, std::optional<uint64_t> total_bytes);
  void update(size_t rows, uint64_t bytes);
  void clear();
  double seconds() const;

 private:
  bool enabled_;
  std::optional<uint64_t> total_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_{};
  bool drawn_ = false;
};

}  // namespace verdict::cli

namespace verdict::runtime {
struct ClassifyOptions;
}

namespace verdict::cli {

// `verdict classify --input FILE`: the records with label and score added, in input order, to
// `output` (empty or "-": stdout); progress and a summary on stderr.
int run_classify_file(const FileArgs& args, const std::string& output, const std::string& model,
                      const verdict::model::ModelOptions& model_options,
                      const runtime::ClassifyOptions& options);

}  // namespace verdict::cli
