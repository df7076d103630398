// What batch commands print for people: the progress line, the end-of-run summary with a score
// histogram drawn in block characters, and eval's metrics as text.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "verdict/batch/eval_metrics.h"

namespace verdict::batch {

// "1:05", "1:02:03"
std::string format_duration(double seconds);

// One progress line (no newline): rows, rate, and with a known input size a bar, percent, ETA.
std::string format_progress(size_t rows, uint64_t bytes, std::optional<uint64_t> total_bytes, double seconds);

// counts[i] covers [lo + i*w, lo + (i+1)*w); one line per bin, bars scaled to `width` cells.
std::string draw_histogram(const std::vector<size_t>& counts, double lo, double hi, size_t width = 40);

// Scores of the predicted label, for the classify summary.
class ScoreSummary {
 public:
  static constexpr size_t kBins = 10;
  // The top score of `num_labels` labels is at least 1/num_labels: the histogram starts at that
  // tenth (0.5 for two labels).
  explicit ScoreSummary(size_t num_labels = 2);
  void add(const std::string& label, float score);
  size_t rows() const { return rows_; }
  // "3000 rows in 12.3 s (243.9 rows/s)", count per label, histogram; skipped rows if any.
  std::string render(double seconds, size_t skipped, const std::vector<std::string>& skipped_reasons) const;

 private:
  double lo_ = 0;
  size_t rows_ = 0;
  std::map<std::string, size_t> per_label_;
  std::vector<size_t> bins_ = std::vector<size_t>(kBins, 0);
};

// "accuracy: 0.873" on its own line, then per-label precision/recall/F1/support, the averages
// and the confusion matrix.
std::string render_eval_text(const EvalAccumulator& eval);

}  // namespace verdict::batch
