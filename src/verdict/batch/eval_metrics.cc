#include "verdict/batch/eval_metrics.h"

#include <cmath>

namespace verdict::batch {

size_t score_bin(double score, size_t bins) {
  if (!(score > 0)) return 0;  // also NaN
  const auto b = static_cast<size_t>(score * static_cast<double>(bins));
  return b >= bins ? bins - 1 : b;
}

LabelMetrics label_metrics(const std::vector<std::vector<size_t>>& confusion, size_t label) {
  LabelMetrics m;
  const size_t tp = confusion[label][label];
  for (const auto& row : confusion) m.predicted += row[label];
  for (size_t v : confusion[label]) m.support += v;
  m.precision = m.predicted ? static_cast<double>(tp) / m.predicted : 0;
  m.recall = m.support ? static_cast<double>(tp) / m.support : 0;
  m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0;
  return m;
}

EvalAccumulator::EvalAccumulator(std::vector<std::string> labels)
    : labels_(std::move(labels)),
      confusion_(labels_.size(), std::vector<size_t>(labels_.size(), 0)),
      hist_(labels_.size() * labels_.size(), std::vector<size_t>(kScoreBins, 0)),
      calibration_(kCalibrationBins) {}

void EvalAccumulator::add(size_t true_id, size_t predicted_id, std::span<const float> scores_by_id) {
  const size_t n = labels_.size();
  if (true_id >= n || predicted_id >= n) return;
  ++total_;
  ++confusion_[true_id][predicted_id];
  const bool right = true_id == predicted_id;
  if (right) ++correct_;
  for (size_t k = 0; k < n && k < scores_by_id.size(); ++k) {
    ++hist_[true_id * n + k][score_bin(scores_by_id[k], kScoreBins)];
  }
  const double confidence = predicted_id < scores_by_id.size() ? scores_by_id[predicted_id] : 0;
  auto& bin = calibration_[score_bin(confidence, kCalibrationBins)];
  ++bin.count;
  bin.confidence_sum += confidence;
  if (right) ++bin.correct;
}

std::vector<LabelMetrics> EvalAccumulator::per_label() const {
  std::vector<LabelMetrics> out;
  for (size_t k = 0; k < labels_.size(); ++k) out.push_back(label_metrics(confusion_, k));
  return out;
}

LabelMetrics EvalAccumulator::macro_average() const {
  LabelMetrics m;
  const auto all = per_label();
  for (const auto& l : all) {
    m.precision += l.precision;
    m.recall += l.recall;
    m.f1 += l.f1;
    m.support += l.support;
    m.predicted += l.predicted;
  }
  if (!all.empty()) {
    m.precision /= all.size();
    m.recall /= all.size();
    m.f1 /= all.size();
  }
  return m;
}

LabelMetrics EvalAccumulator::weighted_average() const {
  LabelMetrics m;
  for (const auto& l : per_label()) {
    m.precision += l.precision * l.support;
    m.recall += l.recall * l.support;
    m.f1 += l.f1 * l.support;
    m.support += l.support;
    m.predicted += l.predicted;
  }
  if (m.support) {
    m.precision /= m.support;
    m.recall /= m.support;
    m.f1 /= m.support;
  }
  return m;
}

double EvalAccumulator::expected_calibration_error() const {
  if (!total_) return 0;
  double ece = 0;
  for (const auto& b : calibration_) {
    if (!b.count) continue;
    ece += std::abs(static_cast<double>(b.correct) / b.count - b.confidence_sum / b.count) *
           (static_cast<double>(b.count) / total_);
  }
  return ece;
}

}  // namespace verdict::batch
