// Accuracy, per-label precision/recall/F1, the confusion matrix, and the score distributions
// the HTML report draws — accumulated row by row in memory independent of the row count.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace verdict::batch {

struct LabelMetrics {
  double precision = 0;  // 0 when nothing was predicted as the label (scikit-learn's zero_division=0)
  double recall = 0;     // 0 when the label never occurs
  double f1 = 0;
  size_t support = 0;    // rows whose true label it is
  size_t predicted = 0;  // rows predicted as it
};

struct CalibrationBin {
  size_t count = 0;
  double confidence_sum = 0;  // sum of the predicted label's scores
  size_t correct = 0;
};

class EvalAccumulator {
 public:
  static constexpr size_t kScoreBins = 50;        // histograms of a label's score, over [0, 1]
  static constexpr size_t kCalibrationBins = 10;  // reliability diagram of the top score

  explicit EvalAccumulator(std::vector<std::string> labels);

  // One row: its true label id, its predicted label id, and every label's score by label id.
  void add(size_t true_id, size_t predicted_id, std::span<const float> scores_by_id);

  const std::vector<std::string>& labels() const { return labels_; }
  size_t total() const { return total_; }
  size_t correct() const { return correct_; }
  double accuracy() const { return total_ ? static_cast<double>(correct_) / total_ : 0; }
  // confusion()[true][predicted]
  const std::vector<std::vector<size_t>>& confusion() const { return confusion_; }
  std::vector<LabelMetrics> per_label() const;
  LabelMetrics macro_average() const;     // unweighted mean over labels (support: the total)
  LabelMetrics weighted_average() const;  // weighted by support
  // score_histogram(t, k)[bin]: rows of true label t by the score the model gave label k.
  const std::vector<size_t>& score_histogram(size_t true_id, size_t label_id) const {
    return hist_[true_id * labels_.size() + label_id];
  }
  const std::vector<CalibrationBin>& calibration() const { return calibration_; }
  // Expected calibration error: sum over bins of |accuracy - mean confidence| * share of rows.
  double expected_calibration_error() const;

 private:
  std::vector<std::string> labels_;
  size_t total_ = 0;
  size_t correct_ = 0;
  std::vector<std::vector<size_t>> confusion_;
  std::vector<std::vector<size_t>> hist_;
  std::vector<CalibrationBin> calibration_;
};

// Metrics of one label from a confusion matrix.
LabelMetrics label_metrics(const std::vector<std::vector<size_t>>& confusion, size_t label);
// Bin of a score in [0, 1] among `bins` equal bins (1.0 falls in the last; out of range clamps).
size_t score_bin(double score, size_t bins);

}  // namespace verdict::batch
