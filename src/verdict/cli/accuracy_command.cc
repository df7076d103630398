// `verdict dev accuracy`: how far the fast precisions are from fp32 on real texts — the
// measurement behind `--dtype auto`. Texts: one per line; a tab ends the text (labelled files).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>

#include "verdict/cli/commands.h"
#include "verdict/cli/inputs.h"
#include "verdict/cli/model_option.h"
#include "verdict/kernels/cpu.h"
#include "verdict/runtime/pipeline.h"

namespace verdict::cli {
namespace {

struct AccuracyArgs {
  std::string model;
  std::vector<std::string> texts;
  std::vector<std::string> dtypes{"int8", "bf16", "auto"};
  size_t limit = 0;
  std::string json_out;
};

size_t argmax(const std::vector<float>& v) {
  return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

// What an fp32 recheck of close calls would give: for each margin, the share of texts rechecked
// (fast margin below it) and the agreement then (rechecked texts take fp32's label). Also the
// smallest margin reaching 99.5 % agreement.
nlohmann::json recheck_table(const std::vector<std::vector<float>>& fast, const std::vector<std::vector<float>>& exact) {
  const size_t n = fast.size();
  std::vector<float> disagreeing;  // fast margins of the texts whose label differs
  std::vector<float> margins;
  for (size_t i = 0; i < n; ++i) {
    margins.push_back(model::top_two_margin(fast[i]));
    if (argmax(fast[i]) != argmax(exact[i])) disagreeing.push_back(margins.back());
  }
  auto share_below = [&](float m) {
    return static_cast<double>(std::count_if(margins.begin(), margins.end(), [m](float x) { return x < m; })) /
           static_cast<double>(n);
  };
  nlohmann::json rows = nlohmann::json::array();
  std::cout << "       fp32 recheck below margin  rechecked  label agreement\n";
  for (float m : {0.25f, 0.5f, 1.0f, 1.5f, 2.0f}) {
    const auto wrong = std::count_if(disagreeing.begin(), disagreeing.end(), [m](float x) { return x >= m; });
    const double agreement = 1.0 - static_cast<double>(wrong) / static_cast<double>(n);
    std::cout << std::setw(33) << std::setprecision(2) << m << std::setw(9) << std::setprecision(1)
              << 100 * share_below(m) << " %" << std::setw(15) << std::setprecision(2) << 100 * agreement << " %\n";
    rows.push_back({{"margin", m}, {"rechecked_share", share_below(m)}, {"label_agreement", agreement}});
  }
  // 99.5 %: at most n/200 disagreements may stay above the margin.
  std::sort(disagreeing.begin(), disagreeing.end(), std::greater<>());
  const size_t allowed = n / 200;
  const float needed = disagreeing.size() <= allowed ? 0.f : std::nextafter(disagreeing[allowed], INFINITY);
  std::cout << "       99.5 % needs margin " << std::setprecision(3) << needed << " (" << std::setprecision(1)
            << 100 * share_below(needed) << " % rechecked)\n";
  return {{"table", rows}, {"margin_for_99_5", needed}, {"rechecked_share_for_99_5", share_below(needed)}};
}

int run_accuracy(const AccuracyArgs& a) {
  auto texts = read_text_files(a.texts, a.limit, "--texts");
  if (!texts.ok()) return fail(texts.error().message);
  auto reference = runtime::Pipeline::load(a.model);
  if (!reference.ok()) return fail(reference.error().message);
  auto encodings = (*reference)->encode(*texts, /*truncate=*/true);
  if (!encodings.ok()) return fail(encodings.error().message);
  auto exact = (*reference)->logits(*encodings, 8192);
  if (!exact.ok()) return fail(exact.error().message);

  nlohmann::json report = {{"model", a.model}, {"texts", texts->size()}, {"isa", kernels::effective_isa()}};
  std::cout << "model " << a.model << "  texts " << texts->size() << "  isa " << kernels::effective_isa() << "\n";
  std::cout << "dtype  label agreement  max |dlogit|  mean |dlogit|  rechecked\n";
  for (const auto& name : a.dtypes) {
    auto options = model_options(name);
    if (!options.ok()) return fail(options.error().message);
    if (auto st = kernels::precision_supported(options->precision); !st.ok()) {
      std::cout << std::left << std::setw(7) << name << "skipped: " << st.error().message << "\n";
      report["dtypes"][name] = {{"skipped", st.error().message}};
      continue;
    }
    auto fast = runtime::Pipeline::load(a.model, *options);
    if (!fast.ok()) return fail(fast.error().message);
    auto logits = (*fast)->logits(*encodings, 8192);
    if (!logits.ok()) return fail(logits.error().message);
    const double rechecked =
        static_cast<double>((*fast)->model().rechecked()) / static_cast<double>(encodings->size());
    size_t agree = 0, count = 0;
    double max_delta = 0, sum_delta = 0;
    for (size_t i = 0; i < logits->size(); ++i) {
      agree += argmax((*logits)[i]) == argmax((*exact)[i]);
      for (size_t c = 0; c < (*logits)[i].size(); ++c) {
        const double d = std::fabs((*logits)[i][c] - (*exact)[i][c]);
        max_delta = std::max(max_delta, d);
        sum_delta += d;
        ++count;
      }
    }
    const double agreement = static_cast<double>(agree) / static_cast<double>(logits->size());
    std::cout << std::left << std::setw(7) << name << std::right << std::fixed << std::setprecision(2)
              << std::setw(14) << 100 * agreement << " %" << std::setprecision(4) << std::setw(14) << max_delta
              << std::setw(15) << sum_delta / static_cast<double>(count);
    report["dtypes"][name] = {{"precision", describe_precision((*fast)->model())},
                              {"label_agreement", agreement},
                              {"max_abs_logit_delta", max_delta},
                              {"mean_abs_logit_delta", sum_delta / static_cast<double>(count)}};
    if ((*fast)->model().recheck_margin() > 0) {
      std::cout << std::setprecision(1) << std::setw(9) << 100 * rechecked << " %  (" << describe_precision((*fast)->model())
                << ")\n";
      report["dtypes"][name]["rechecked_share"] = rechecked;
    } else {
      std::cout << "\n";
      report["dtypes"][name]["recheck"] = recheck_table(*logits, *exact);
    }
  }
  if (!a.json_out.empty()) std::ofstream(a.json_out) << report.dump(2) << "\n";
  return 0;
}

}  // namespace

void add_accuracy_command(CLI::App& dev, Action& action) {
  auto args = std::make_shared<AccuracyArgs>();
  auto* cmd = dev.add_subcommand("accuracy", "Compare int8/bf16/auto logits and labels with fp32 on texts");
  cmd->add_option("--model", args->model, "Model folder or Hub id")->required()->envname("MODEL");
  cmd->add_option("--texts", args->texts, "Text files, one text per line (text<TAB>label accepted)")
      ->required()->check(CLI::ExistingFile);
  cmd->add_option("--dtypes", args->dtypes, "Precisions to compare with fp32")->delimiter(',');
  cmd->add_option("--limit", args->limit, "Use at most this many texts (0: all)");
  cmd->add_option("--json", args->json_out, "Also write the results as JSON to this file");
  cmd->callback([&action, args] { action = [args] { return run_accuracy(*args); }; });
}

}  // namespace verdict::cli
