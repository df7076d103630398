// `verdict dev accuracy`: how far the fast precisions are from fp32 on real texts — the
// measurement behind `--dtype auto`. Texts: one per line; a tab ends the text (labelled files).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "verdict/cli/commands.h"
#include "verdict/cli/model_option.h"
#include "verdict/kernels/cpu.h"
#include "verdict/runtime/pipeline.h"

namespace verdict::cli {
namespace {

struct AccuracyArgs {
  std::string model;
  std::vector<std::string> texts;
  std::vector<std::string> dtypes{"int8", "bf16"};
  size_t limit = 0;
  std::string json_out;
};

Result<std::vector<runtime::TextInput>> read_texts(const std::vector<std::string>& files, size_t limit) {
  std::vector<runtime::TextInput> out;
  for (const auto& f : files) {
    std::ifstream in(f);
    if (!in) return make_error(ErrorCode::kNotFound, f + ": cannot open");
    std::string line;
    while (std::getline(in, line) && (limit == 0 || out.size() < limit)) {
      if (auto tab = line.find('\t'); tab != std::string::npos) line.resize(tab);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) out.push_back({line, std::nullopt});
    }
  }
  if (out.empty()) return make_error(ErrorCode::kInvalidArgument, "no texts in the --texts files");
  return out;
}

size_t argmax(const std::vector<float>& v) {
  return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

int run_accuracy(const AccuracyArgs& a) {
  auto texts = read_texts(a.texts, a.limit);
  if (!texts.ok()) return fail(texts.error().message);
  auto reference = runtime::Pipeline::load(a.model);
  if (!reference.ok()) return fail(reference.error().message);
  auto encodings = (*reference)->encode(*texts, /*truncate=*/true);
  if (!encodings.ok()) return fail(encodings.error().message);
  auto exact = (*reference)->logits(*encodings, 8192);
  if (!exact.ok()) return fail(exact.error().message);

  nlohmann::json report = {{"model", a.model}, {"texts", texts->size()}, {"isa", kernels::effective_isa()}};
  std::cout << "model " << a.model << "  texts " << texts->size() << "  isa " << kernels::effective_isa() << "\n";
  std::cout << "dtype  label agreement  max |dlogit|  mean |dlogit|\n";
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
              << std::setw(15) << sum_delta / static_cast<double>(count) << "\n";
    report["dtypes"][name] = {{"label_agreement", agreement},
                              {"max_abs_logit_delta", max_delta},
                              {"mean_abs_logit_delta", sum_delta / static_cast<double>(count)}};
  }
  if (!a.json_out.empty()) std::ofstream(a.json_out) << report.dump(2) << "\n";
  return 0;
}

}  // namespace

void add_accuracy_command(CLI::App& dev, Action& action) {
  auto args = std::make_shared<AccuracyArgs>();
  auto* cmd = dev.add_subcommand("accuracy", "Compare int8/bf16 logits and labels with fp32 on texts");
  cmd->add_option("--model", args->model, "Model folder or Hub id")->required()->envname("MODEL");
  cmd->add_option("--texts", args->texts, "Text files, one text per line (text<TAB>label accepted)")
      ->required()->check(CLI::ExistingFile);
  cmd->add_option("--dtypes", args->dtypes, "Precisions to compare with fp32")->delimiter(',');
  cmd->add_option("--limit", args->limit, "Use at most this many texts (0: all)");
  cmd->add_option("--json", args->json_out, "Also write the results as JSON to this file");
  cmd->callback([&action, args] { action = [args] { return run_accuracy(*args); }; });
}

}  // namespace verdict::cli
