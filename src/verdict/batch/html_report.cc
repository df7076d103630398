#include "verdict/batch/html_report.h"

#include <algorithm>
#include <cstdio>

namespace verdict::batch {
namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}
std::string num(double v) { return fmt("%.1f", v); }

const char* const kPalette[] = {"#d1495b", "#2e86ab", "#edae49", "#66a182", "#8e6c8a", "#00798c", "#6c757d"};
const char* colour(size_t i) { return kPalette[i % std::size(kPalette)]; }

// Axes with ticks for a [0,1] x-axis chart; the plot area is (x0,y0)-(x0+w,y0+h).
std::string axes(double x0, double y0, double w, double h, const std::string& x_title, const std::string& y_title,
                 double y_max, bool y_is_share) {
  std::string s;
  s += "<line x1='" + num(x0) + "' y1='" + num(y0 + h) + "' x2='" + num(x0 + w) + "' y2='" + num(y0 + h) +
       "' class='axis'/>";
  s += "<line x1='" + num(x0) + "' y1='" + num(y0) + "' x2='" + num(x0) + "' y2='" + num(y0 + h) + "' class='axis'/>";
  for (int i = 0; i <= 5; ++i) {
    const double x = x0 + w * i / 5.0;
    s += "<text x='" + num(x) + "' y='" + num(y0 + h + 14) + "' class='tick' text-anchor='middle'>" +
         fmt("%.1f", i / 5.0) + "</text>";
    const double y = y0 + h - h * i / 5.0;
    const double v = y_max * i / 5.0;
    s += "<text x='" + num(x0 - 4) + "' y='" + num(y + 3) + "' class='tick' text-anchor='end'>" +
         (y_is_share ? fmt("%.1f", v) : fmt("%.0f", v)) + "</text>";
    s += "<line x1='" + num(x0) + "' y1='" + num(y) + "' x2='" + num(x0 + w) + "' y2='" + num(y) + "' class='grid'/>";
  }
  s += "<text x='" + num(x0 + w / 2) + "' y='" + num(y0 + h + 30) + "' class='title' text-anchor='middle'>" +
       html_escape(x_title) + "</text>";
  s += "<text transform='translate(" + num(x0 - 34) + "," + num(y0 + h / 2) +
       ") rotate(-90)' class='title' text-anchor='middle'>" + html_escape(y_title) + "</text>";
  return s;
}

std::string confusion_svg(const EvalAccumulator& eval) {
  const auto& labels = eval.labels();
  const size_t n = labels.size();
  const double cell = n <= 4 ? 80 : std::max(28.0, 320.0 / n);
  const double left = 130, top = 40;
  const double size = cell * n;
  std::string s = "<svg xmlns='http://www.w3.org/2000/svg' width='" + num(left + size + 20) + "' height='" +
                  num(top + size + 50) + "' role='img' aria-label='confusion matrix'>";
  s += "<text x='" + num(left + size / 2) + "' y='14' class='title' text-anchor='middle'>predicted</text>";
  s += "<text transform='translate(14," + num(top + size / 2) + ") rotate(-90)' class='title' "
       "text-anchor='middle'>true label</text>";
  for (size_t t = 0; t < n; ++t) {
    size_t row_total = 0;
    for (size_t v : eval.confusion()[t]) row_total += v;
    s += "<text x='" + num(left - 6) + "' y='" + num(top + cell * t + cell / 2 + 4) +
         "' class='tick' text-anchor='end'>" + html_escape(labels[t]) + "</text>";
    s += "<text x='" + num(left + cell * t + cell / 2) + "' y='" + num(top - 6) +
         "' class='tick' text-anchor='middle'>" + html_escape(labels[t]) + "</text>";
    for (size_t p = 0; p < n; ++p) {
      const size_t v = eval.confusion()[t][p];
      const double share = row_total ? static_cast<double>(v) / row_total : 0;
      const char* hue = t == p ? "46,134,171" : "209,73,91";
      s += "<rect x='" + num(left + cell * p) + "' y='" + num(top + cell * t) + "' width='" + num(cell) +
           "' height='" + num(cell) + "' fill='rgba(" + hue + "," + fmt("%.3f", 0.08 + 0.85 * share) +
           ")' stroke='#fff'><title>true " + html_escape(labels[t]) + ", predicted " + html_escape(labels[p]) +
           ": " + std::to_string(v) + "</title></rect>";
      if (n <= 12) {
        s += "<text x='" + num(left + cell * p + cell / 2) + "' y='" + num(top + cell * t + cell / 2 + 4) +
             "' text-anchor='middle' class='cell" + (share > 0.5 ? " light" : "") + "'>" + std::to_string(v) +
             "</text>";
      }
    }
  }
  return s + "</svg>";
}

// Histograms over [0,1] of one score for rows of each true label (overlaid).
std::string histogram_svg(const EvalAccumulator& eval, size_t label_id, const std::string& x_title) {
  const size_t n = eval.labels().size();
  const double x0 = 50, y0 = 30, w = 420, h = 180;
  size_t top = 1;
  for (size_t t = 0; t < n; ++t) {
    const auto& hist = eval.score_histogram(t, label_id);
    top = std::max(top, *std::max_element(hist.begin(), hist.end()));
  }
  std::string s = "<svg xmlns='http://www.w3.org/2000/svg' width='" + num(x0 + w + 20) + "' height='" +
                  num(y0 + h + 40) + "' role='img'>";
  s += axes(x0, y0, w, h, x_title, "rows", static_cast<double>(top), false);
  const double bw = w / EvalAccumulator::kScoreBins;
  for (size_t t = 0; t < n; ++t) {
    const auto& hist = eval.score_histogram(t, label_id);
    for (size_t b = 0; b < hist.size(); ++b) {
      if (!hist[b]) continue;
      const double bh = h * static_cast<double>(hist[b]) / top;
      s += "<rect x='" + num(x0 + b * bw) + "' y='" + num(y0 + h - bh) + "' width='" + num(bw) + "' height='" +
           num(bh) + "' fill='" + colour(t) + "' fill-opacity='0.55'><title>true " + html_escape(eval.labels()[t]) +
           ", score " + fmt("%.2f", static_cast<double>(b) / hist.size()) + "-" +
           fmt("%.2f", static_cast<double>(b + 1) / hist.size()) + ": " + std::to_string(hist[b]) + "</title></rect>";
    }
  }
  for (size_t t = 0; t < n; ++t) {
    const double lx = x0 + 10 + 130.0 * (t % 3), ly = y0 - 18 + 0.0 * t;
    if (t >= 3) break;  // the legend lists the first three; the table has all
    s += "<rect x='" + num(lx) + "' y='" + num(ly) + "' width='10' height='10' fill='" + colour(t) + "'/>";
    s += "<text x='" + num(lx + 14) + "' y='" + num(ly + 9) + "' class='tick'>true " +
         html_escape(eval.labels()[t]) + "</text>";
  }
  return s + "</svg>";
}

std::string calibration_svg(const EvalAccumulator& eval) {
  const double x0 = 50, y0 = 20, w = 300, h = 200;
  std::string s = "<svg xmlns='http://www.w3.org/2000/svg' width='" + num(x0 + w + 20) + "' height='" +
                  num(y0 + h + 40) + "' role='img' aria-label='reliability diagram'>";
  s += axes(x0, y0, w, h, "score of the predicted label", "share correct", 1.0, true);
  s += "<line x1='" + num(x0) + "' y1='" + num(y0 + h) + "' x2='" + num(x0 + w) + "' y2='" + num(y0) +
       "' class='ideal'/>";
  const auto& bins = eval.calibration();
  const double bw = w / bins.size();
  for (size_t b = 0; b < bins.size(); ++b) {
    if (!bins[b].count) continue;
    const double acc = static_cast<double>(bins[b].correct) / bins[b].count;
    s += "<rect x='" + num(x0 + b * bw + 2) + "' y='" + num(y0 + h - h * acc) + "' width='" + num(bw - 4) +
         "' height='" + num(h * acc) + "' fill='#2e86ab' fill-opacity='0.7'><title>" + std::to_string(bins[b].count) +
         " rows, mean score " + fmt("%.3f", bins[b].confidence_sum / bins[b].count) + ", " + fmt("%.3f", acc) +
         " correct</title></rect>";
  }
  return s + "</svg>";
}

// Two labels: accuracy if label 1 were predicted when its score >= threshold.
std::string threshold_svg(const EvalAccumulator& eval) {
  const double x0 = 50, y0 = 20, w = 300, h = 200;
  const size_t bins = EvalAccumulator::kScoreBins;
  const auto& neg = eval.score_histogram(0, 1);  // true label 0, by the score of label 1
  const auto& pos = eval.score_histogram(1, 1);
  std::string s = "<svg xmlns='http://www.w3.org/2000/svg' width='" + num(x0 + w + 20) + "' height='" +
                  num(y0 + h + 40) + "' role='img' aria-label='accuracy by threshold'>";
  s += axes(x0, y0, w, h, "threshold on the score of " + eval.labels()[1], "accuracy", 1.0, true);
  std::string points;
  for (size_t cut = 0; cut <= bins; ++cut) {
    size_t right = 0;
    for (size_t b = 0; b < bins; ++b) right += b < cut ? neg[b] : pos[b];
    const double acc = eval.total() ? static_cast<double>(right) / eval.total() : 0;
    points += num(x0 + w * cut / bins) + "," + num(y0 + h - h * acc) + " ";
  }
  s += "<polyline points='" + points + "' fill='none' stroke='#d1495b' stroke-width='2'/>";
  s += "<line x1='" + num(x0 + w / 2) + "' y1='" + num(y0) + "' x2='" + num(x0 + w / 2) + "' y2='" + num(y0 + h) +
       "' class='ideal'/>";
  return s + "</svg>";
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_html_report(const EvalAccumulator& eval, const ReportInfo& info) {
  const auto& labels = eval.labels();
  std::string h = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Verdict evaluation</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;max-width:980px;margin:24px auto;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.meta{color:#555}.meta code{background:#f3f3f3;padding:1px 4px;border-radius:3px}
.kpis{display:flex;gap:16px;flex-wrap:wrap;margin:16px 0}.kpi{border:1px solid #ddd;border-radius:6px;padding:8px 14px}
.kpi b{display:block;font-size:24px}
table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:16px}
svg .axis{stroke:#333}svg .grid{stroke:#eee}svg .ideal{stroke:#999;stroke-dasharray:4 3}
svg .tick{font-size:11px;fill:#444}svg .title{font-size:12px;fill:#222}svg .cell{font-size:14px;fill:#222}
svg .cell.light{fill:#fff}
.note{color:#666;font-size:12px}
</style></head><body>
<h1>Verdict evaluation</h1>
)";
  h += "<p class='meta'>input <code>" + html_escape(info.input) + "</code> · model <code>" + html_escape(info.model) +
       "</code>";
  if (!info.label_map.empty()) h += " · label map <code>" + html_escape(info.label_map) + "</code>";
  if (!info.created.empty()) h += " · " + html_escape(info.created);
  h += "</p>\n<div class='kpis'>";
  auto kpi = [&](const std::string& name, const std::string& value) {
    h += "<div class='kpi'>" + html_escape(name) + "<b>" + value + "</b></div>";
  };
  kpi("accuracy", fmt("%.3f", eval.accuracy()));
  kpi("macro F1", fmt("%.3f", eval.macro_average().f1));
  kpi("rows", std::to_string(eval.total()));
  if (info.skipped) kpi("invalid rows skipped", std::to_string(info.skipped));
  kpi("calibration error (ECE)", fmt("%.3f", eval.expected_calibration_error()));
  h += "</div>\n<h2>Per label</h2>\n<table><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th>"
       "<th>support</th><th>predicted</th></tr>\n";
  auto row = [&](const std::string& name, const LabelMetrics& m) {
    h += "<tr><td>" + html_escape(name) + "</td><td>" + fmt("%.3f", m.precision) + "</td><td>" +
         fmt("%.3f", m.recall) + "</td><td>" + fmt("%.3f", m.f1) + "</td><td>" + std::to_string(m.support) +
         "</td><td>" + std::to_string(m.predicted) + "</td></tr>\n";
  };
  const auto per = eval.per_label();
  for (size_t k = 0; k < labels.size(); ++k) row(labels[k], per[k]);
  row("macro avg", eval.macro_average());
  row("weighted avg", eval.weighted_average());
  h += "</table>\n<h2>Confusion matrix</h2>\n" + confusion_svg(eval) + "\n";

  h += "<h2>Scores by true label</h2>\n<div class='charts'>";
  if (labels.size() == 2) {
    h += histogram_svg(eval, 1, "score of " + labels[1]);
  } else {
    for (size_t k = 0; k < labels.size() && k < 12; ++k) h += histogram_svg(eval, k, "score of " + labels[k]);
  }
  h += "</div>\n<p class='note'>Rows of each true label, by the score the model gave a label (" +
       std::to_string(EvalAccumulator::kScoreBins) + " bins over [0, 1]). A good model puts each colour at the " +
       "end of its own label.</p>\n";
  h += "<h2>Calibration</h2>\n<div class='charts'>" + calibration_svg(eval);
  if (labels.size() == 2) h += threshold_svg(eval);
  h += "</div>\n<p class='note'>Left: of the rows whose predicted label had a score in each tenth, the share "
       "predicted right (a calibrated model follows the dashed diagonal).";
  if (labels.size() == 2) {
    h += " Right: the accuracy had " + html_escape(labels[1]) +
         " been predicted whenever its score reached the threshold (the model uses 0.5, dashed).";
  }
  h += "</p>\n<p class='note'>Made by <code>verdict eval</code>.</p>\n</body></html>\n";
  return h;
}

}  // namespace verdict::batch
