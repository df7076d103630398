// `verdict eval --report`: one self-contained HTML file (inline CSS and SVG charts, no scripts,
// no external assets) with the metrics, the confusion matrix, score histograms per true label,
// a reliability diagram and, for two labels, accuracy against the decision threshold.
#pragma once

#include <string>
#include <string_view>

#include "verdict/batch/eval_metrics.h"

namespace verdict::batch {

struct ReportInfo {
  std::string input;      // the file evaluated
  std::string model;      // the model folder or id
  std::string label_map;  // as given, or empty
  std::string created;    // e.g. "2026-11-26 15:20 UTC"
  size_t skipped = 0;     // invalid rows skipped
};

std::string render_html_report(const EvalAccumulator& eval, const ReportInfo& info);

// &, <, >, " and ' escaped.
std::string html_escape(std::string_view text);

}  // namespace verdict::batch
