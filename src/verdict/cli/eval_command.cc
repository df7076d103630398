// `verdict eval`: classify a labelled file and compare — accuracy, per-label precision/recall/F1,
// the confusion matrix, and with --report a self-contained HTML report.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include "verdict/batch/batch_runner.h"
#include "verdict/batch/eval_metrics.h"
#include "verdict/batch/html_report.h"
#include "verdict/batch/terminal_report.h"
#include "verdict/cli/batch_files.h"
#include "verdict/cli/commands.h"

namespace verdict::cli {
namespace {

struct EvalArgs {
  std::string model;
  FileArgs file;
  std::string label_column;
  std::string label_map;
  std::string report;
  bool no_truncate = false;
  size_t max_batch_tokens = 16384;
};

std::string list(const std::vector<std::string>& labels) {
  std::string s;
  for (const auto& l : labels) s += (s.empty() ? "" : ", ") + l;
  return s;
}

// "0=NEGATIVE,1=POSITIVE" -> file value -> model label id.
Result<std::map<std::string, size_t>> parse_label_map(const std::string& text, const std::vector<std::string>& labels) {
  std::map<std::string, size_t> out;
  if (text.empty()) return out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "--label-map: \"" + item + "\" is not VALUE=LABEL (e.g. 0=NEGATIVE,1=POSITIVE)");
    }
    const std::string value = item.substr(0, eq), label = item.substr(eq + 1);
    const auto it = std::find(labels.begin(), labels.end(), label);
    if (it == labels.end()) {
      return make_error(ErrorCode::kInvalidArgument, "--label-map: \"" + label + "\" is not a label of the model (" +
                                                         list(labels) + ")");
    }
    if (!out.emplace(value, static_cast<size_t>(it - labels.begin())).second) {
      return make_error(ErrorCode::kInvalidArgument, "--label-map: \"" + value + "\" is mapped twice");
    }
    start = comma + 1;
  }
  return out;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

// Checked before classifying: a report path that cannot be written should not cost the whole run.
std::optional<std::string> report_path_problem(const std::string& report) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(report, ec)) return "--report " + report + " is a directory";
  const fs::path parent = fs::path(report).parent_path().empty() ? fs::path(".") : fs::path(report).parent_path();
  if (!fs::is_directory(parent, ec)) return "--report " + report + ": no folder " + parent.string();
  if (access(parent.c_str(), W_OK) != 0) return "--report " + report + ": " + std::strerror(errno);
  return std::nullopt;
}

int run_eval(const EvalArgs& a) {
  std::ios::sync_with_stdio(false);
  if (a.file.input.empty()) return fail("--input FILE is required");
  if (!a.report.empty()) {
    if (auto problem = report_path_problem(a.report)) return fail(*problem);
  }
  auto in = open_input(a.file, a.label_column);
  if (!in.ok()) return fail(in.error().message);
  auto pipeline = runtime::Pipeline::load(a.model);
  if (!pipeline.ok()) return fail(pipeline.error().message);
  const auto& labels = (*pipeline)->config().labels;
  if (labels.size() < 2) {
    return fail("eval needs a classifier with at least two labels; this model has " + std::to_string(labels.size()));
  }
  auto mapping = parse_label_map(a.label_map, labels);
  if (!mapping.ok()) return fail(mapping.error().message);
  // Values not in the map must name a model label themselves.
  for (size_t k = 0; k < labels.size(); ++k) mapping->emplace(labels[k], k);

  const auto& source = in->reader->options().source_name;
  auto check = [&](const batch::Record& r) -> Status {
    if (mapping->count(*r.label)) return {};
    return make_error(ErrorCode::kInvalidArgument,
                      source + " line " + std::to_string(r.line) + ", field \"" + a.label_column + "\": \"" + *r.label +
                          "\" is not a label of the model (" + list(labels) + "); map the file's labels with " +
                          "--label-map VALUE=LABEL,... (e.g. 0=" + labels[0] + ",1=" + labels[1] + ")");
  };
  batch::EvalAccumulator eval(labels);
  std::vector<float> by_id(labels.size());
  auto sink = [&](const batch::Record& r, const std::vector<model::LabelScore>& scores) -> Status {
    for (const auto& s : scores) {
      if (s.id < by_id.size()) by_id[s.id] = s.score;
    }
    eval.add(mapping->at(*r.label), scores[0].id, by_id);
    return {};
  };
  batch::RunOptions run;
  run.classify.truncate = !a.no_truncate;
  run.classify.max_batch_tokens = a.max_batch_tokens;
  run.skip_invalid = a.file.skip_invalid;
  Progress progress(!a.file.quiet, in->size);
  auto stats = batch::run_batch(**pipeline, *in->reader, run, sink, check,
                                [&](size_t rows, uint64_t bytes) { progress.update(rows, bytes); });
  progress.clear();
  if (!stats.ok()) return fail(stats.error().message);
  if (eval.total() == 0) return fail(source + " has no rows to evaluate");

  std::cout << batch::render_eval_text(eval);
  if (stats->skipped) {
    std::cout << "skipped: " << stats->skipped << " invalid rows\n";
    for (const auto& r : stats->first_skipped) std::cerr << "  skipped: " << r << "\n";
  }
  std::cout.flush();
  if (!a.report.empty()) {
    batch::ReportInfo info{a.file.input == "-" ? "stdin" : a.file.input, a.model, a.label_map, utc_now(),
                           stats->skipped};
    const std::string html = batch::render_html_report(eval, info);
    std::ofstream out(a.report, std::ios::binary | std::ios::trunc);
    out << html;
    out.close();
    if (!out) return fail("cannot write the report to " + a.report + ": " + std::strerror(errno));
    if (!a.file.quiet) std::cerr << "report: " << a.report << "\n";
  }
  if (!a.file.quiet) {
    const double s = progress.seconds();
    std::cerr << eval.total() << " rows in " << batch::format_duration(s) << " ("
              << static_cast<long>(s > 0 ? eval.total() / s : 0) << " rows/s)\n";
  }
  return 0;
}

}  // namespace

void add_eval_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "Classify a labelled CSV/TSV/JSONL file and report accuracy, "
                                         "precision/recall/F1 and the confusion matrix");
  cmd->add_option("--model", args->model, "Model folder")->required()->envname("MODEL");
  add_file_options(cmd, args->file);
  cmd->add_option("--label-column", args->label_column, "Column (or JSONL field) holding the true label")
      ->required();
  cmd->add_option("--label-map", args->label_map,
                  "How the file's labels name the model's, e.g. 0=NEGATIVE,1=POSITIVE (default: the same names)");
  cmd->add_option("--report", args->report, "Also write a self-contained HTML report to this file");
  cmd->add_flag("--no-truncate", args->no_truncate,
                "Fail on inputs longer than the model's maximum instead of truncating them");
  cmd->add_option("--max-batch-tokens", args->max_batch_tokens, "Tokens per forward pass")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  cmd->callback([&action, args] { action = [args] { return run_eval(*args); }; });
}

}  // namespace verdict::cli
