#include "verdict/batch/terminal_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace verdict::batch {
namespace {

std::string printf_string(const char* fmt, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

// Display width of a UTF-8 string, counting code points (labels are short words).
size_t width_of(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string pad(const std::string& s, size_t width, bool right_align = false) {
  const size_t w = width_of(s);
  const std::string fill(w < width ? width - w : 0, ' ');
  return right_align ? fill + s : s + fill;
}

}  // namespace

std::string format_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return "?";
  const auto s = static_cast<long>(std::lround(seconds));
  if (s >= 3600) return printf_string("%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  return printf_string("%ld:%02ld", s / 60, s % 60);
}

std::string format_progress(size_t rows, uint64_t bytes, std::optional<uint64_t> total_bytes, double seconds) {
  const double rate = seconds > 0 ? rows / seconds : 0;
  std::string line = printf_string("%zu rows  %.1f rows/s", rows, rate);
  if (total_bytes && *total_bytes > 0) {
    const double done = std::min(1.0, static_cast<double>(bytes) / static_cast<double>(*total_bytes));
    constexpr int kBar = 24;
    const int filled = static_cast<int>(done * kBar);
    std::string bar(1, '[');
    bar.append(static_cast<size_t>(filled), '#').append(static_cast<size_t>(kBar - filled), '.').push_back(']');
    const double eta = done > 0 ? seconds * (1 - done) / done : -1;
    line = bar + printf_string(" %3.0f%%  ", done * 100) + line + "  ETA " + (done > 0 ? format_duration(eta) : "?");
  }
  return line;
}

std::string draw_histogram(const std::vector<size_t>& counts, double lo, double hi, size_t width) {
  static const char* const kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  const size_t top = counts.empty() ? 0 : *std::max_element(counts.begin(), counts.end());
  const double step = counts.empty() ? 0 : (hi - lo) / counts.size();
  std::string out;
  for (size_t i = 0; i < counts.size(); ++i) {
    const size_t eighths = top ? (counts[i] * width * 8 + top / 2) / top : 0;
    std::string bar;
    for (size_t k = 0; k < eighths / 8; ++k) bar += "█";
    bar += kEighths[eighths % 8];
    if (counts[i] && bar.empty()) bar = "▏";  // never hide a non-empty bin
    out += printf_string("  %.2f-%.2f │", lo + i * step, lo + (i + 1) * step) + bar +
           printf_string(" %zu\n", counts[i]);
  }
  return out;
}

ScoreSummary::ScoreSummary(size_t num_labels)
    : lo_(num_labels >= 2 ? std::floor(10.0 / static_cast<double>(num_labels)) / 10.0 : 0) {}

void ScoreSummary::add(const std::string& label, float score) {
  ++rows_;
  ++per_label_[label];
  ++bins_[score_bin((score - lo_) / (1 - lo_), kBins)];
}

std::string ScoreSummary::render(double seconds, size_t skipped, const std::vector<std::string>& reasons) const {
  std::string out = printf_string("%zu rows in %.1f s (%.1f rows/s)\n", rows_, seconds,
                                  seconds > 0 ? rows_ / seconds : 0.0);
  if (skipped) {
    out += printf_string("%zu invalid rows skipped, first:\n", skipped);
    for (const auto& r : reasons) out += "  " + r + "\n";
  }
  size_t width = 5;
  for (const auto& [label, n] : per_label_) width = std::max(width, width_of(label));
  for (const auto& [label, n] : per_label_) {
    out += "  " + pad(label, width) + printf_string(" %8zu  %5.1f%%\n", n, rows_ ? 100.0 * n / rows_ : 0.0);
  }
  if (rows_) out += "score of the predicted label:\n" + draw_histogram(bins_, lo_, 1);
  return out;
}

std::string render_eval_text(const EvalAccumulator& eval) {
  const auto& labels = eval.labels();
  std::string out = printf_string("accuracy: %.3f\n", eval.accuracy());
  out += printf_string("rows: %zu (%zu correct)\n\n", eval.total(), eval.correct());
  size_t width = 12;
  for (const auto& l : labels) width = std::max(width, width_of(l));
  out += pad("label", width) + "  precision     recall         f1    support\n";
  auto row = [&](const std::string& name, const LabelMetrics& m) {
    out += pad(name, width) + printf_string("  %9.3f  %9.3f  %9.3f  %9zu\n", m.precision, m.recall, m.f1, m.support);
  };
  const auto per = eval.per_label();
  for (size_t k = 0; k < labels.size(); ++k) row(labels[k], per[k]);
  row("macro avg", eval.macro_average());
  row("weighted avg", eval.weighted_average());

  out += "\nconfusion matrix (rows: true label, columns: predicted)\n";
  size_t cell = 6;
  for (const auto& l : labels) cell = std::max(cell, width_of(l));
  for (const auto& r : eval.confusion()) {
    for (size_t v : r) cell = std::max(cell, std::to_string(v).size());
  }
  out += pad("", width);
  for (const auto& l : labels) out += "  " + pad(l, cell, true);
  out += "\n";
  for (size_t t = 0; t < labels.size(); ++t) {
    out += pad(labels[t], width);
    for (size_t v : eval.confusion()[t]) out += "  " + pad(std::to_string(v), cell, true);
    out += "\n";
  }
  return out;
}

}  // namespace verdict::batch
