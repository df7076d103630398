// In-process benchmark: latency of one sequence at fixed lengths, and throughput on batches of
// mixed-length sequences: synthetic ids (the timing of a pass does not depend on which ids), and
// optionally real texts (--texts), which also give the share an fp32 recheck answers.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

#include "verdict/cli/commands.h"
#include "verdict/cli/inputs.h"
#include "verdict/cli/model_option.h"
#include "verdict/kernels/cpu.h"
#include "verdict/runtime/pipeline.h"

namespace verdict::cli {
namespace {

struct BenchArgs {
  ModelChoice model;
  std::vector<size_t> lengths{8, 32, 128, 512};
  size_t runs = 200;
  size_t warmup = 20;
  size_t mixed_sequences = 512;
  size_t batch_size = 32;
  size_t min_len = 10, max_len = 120;
  std::vector<std::string> texts;
  std::string json_out;
};

using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  return v[i];
}

std::vector<int32_t> random_ids(std::mt19937& rng, size_t len, size_t vocab) {
  std::uniform_int_distribution<int32_t> dist(static_cast<int32_t>(std::min<size_t>(1000, vocab / 2)),
                                              static_cast<int32_t>(vocab - 1));
  std::vector<int32_t> ids(len);
  for (auto& id : ids) id = dist(rng);
  return ids;
}

// Median sequences/s of three passes over `batches`, and the share of sequences rechecked in fp32.
struct Throughput {
  size_t sequences = 0;  // per pass
  double sequences_per_second = 0;
  double rechecked_share = 0;
};
Result<Throughput> throughput(model::SequenceClassifier& model, const std::vector<model::Batch>& batches) {
  size_t sequences = 0;
  for (const auto& b : batches) sequences += b.size();
  if (auto warm = model.forward(batches.front()); !warm.ok()) return warm.error();
  std::vector<double> rates;
  const uint64_t rechecked_before = model.rechecked();
  for (int rep = 0; rep < 3; ++rep) {
    const auto t0 = Clock::now();
    for (const auto& b : batches) {
      if (auto logits = model.forward(b); !logits.ok()) return logits.error();
    }
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    rates.push_back(static_cast<double>(sequences) / secs);
  }
  return Throughput{sequences, percentile(rates, 0.5),
                    static_cast<double>(model.rechecked() - rechecked_before) / (3.0 * static_cast<double>(sequences))};
}

// Batches of `batch_size` texts from the files, one text per line (a tab ends it).
Result<std::vector<model::Batch>> text_batches(runtime::Pipeline& pipeline, const std::vector<std::string>& files,
                                               size_t batch_size, size_t* tokens) {
  auto inputs = read_text_files(files, 0, "--texts");
  if (!inputs.ok()) return inputs.error();
  auto encodings = pipeline.encode(*inputs, /*truncate=*/true);
  if (!encodings.ok()) return encodings.error();
  std::vector<model::Batch> batches;
  for (size_t i = 0; i < encodings->size(); ++i) {
    if (i % batch_size == 0) batches.emplace_back();
    batches.back().add((*encodings)[i].ids, (*encodings)[i].type_ids);
    *tokens += (*encodings)[i].ids.size();
  }
  return batches;
}

int run_bench(const BenchArgs& a) {
  if (a.min_len > a.max_len) {
    return fail("--min-tokens " + std::to_string(a.min_len) + " is larger than --max-tokens " + std::to_string(a.max_len));
  }
  std::ofstream json_file;  // opened first: a bad path fails now, not after minutes of measuring
  if (!a.json_out.empty()) {
    json_file.open(a.json_out);
    if (!json_file) return fail("cannot write " + a.json_out + ": " + std::strerror(errno));
  }
  auto pipeline = load_pipeline(a.model);
  if (!pipeline.ok()) return fail(pipeline.error().message);
  auto& model = (*pipeline)->model();
  const auto& c = model.config();
  std::mt19937 rng(42);
  nlohmann::json report = {{"model", a.model.model},
                           {"threads", kernels::compute_threads()},
                           {"openmp_wait", kernels::openmp_wait_policy()},
                           {"isa", kernels::effective_isa()},
                           {"dtype", kernels::precision_name(model.precision())},
                           {"recheck_margin", model.recheck_margin()}};
  std::cout << "model " << a.model.model << "  threads " << kernels::compute_threads() << " ("
            << kernels::openmp_wait_policy() << ")  isa " << kernels::effective_isa() << "  dtype "
            << describe_precision(model) << "\n";
  std::cout << std::fixed << std::setprecision(3);
  // With a recheck, a text costs either the fast pass or the fast pass and the fp32 one (which a
  // text gets depends on its logits, not its length): both are timed, in separate loops, so that
  // the fast pass is measured as it mostly runs, after another fast pass, not with the caches
  // the fp32 pass left behind (+0.3 ms at 8 tokens).
  auto* reference = model.reference();
  std::cout << "batch 1 latency (ms): tokens   median      p90      p99"
            << (reference ? "  rechecked median" : "") << "\n";
  for (size_t len : a.lengths) {
    len = std::min(len, c.max_sequence_length());
    model::Batch batch;
    batch.add(random_ids(rng, len, c.vocab_size));
    // Milliseconds of each timed run of the passes through `models`, one after the other.
    const auto time_runs = [&](std::initializer_list<model::SequenceClassifier*> models) -> Result<std::vector<double>> {
      std::vector<double> out;
      for (size_t i = 0; i < a.warmup + a.runs; ++i) {
        const auto t0 = Clock::now();
        for (auto* m : models) {
          if (auto logits = m->forward_once(batch); !logits.ok()) return logits.error();
        }
        if (i >= a.warmup) out.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
      return out;
    };
    auto fast = time_runs({&model});
    if (!fast.ok()) return fail(fast.error().message);
    const std::vector<double>& ms = *fast;
    std::vector<double> rechecked_ms;
    if (reference) {
      auto both = time_runs({&model, reference});
      if (!both.ok()) return fail(both.error().message);
      rechecked_ms = std::move(*both);
    }
    const double p50 = percentile(ms, 0.5), p90 = percentile(ms, 0.9), p99 = percentile(ms, 0.99);
    std::cout << "                      " << std::setw(6) << len << " " << std::setw(8) << p50 << " "
              << std::setw(8) << p90 << " " << std::setw(8) << p99;
    nlohmann::json row = {{"tokens", len}, {"runs", a.runs}, {"median_ms", p50}, {"p90_ms", p90}, {"p99_ms", p99}};
    if (reference) {
      row["rechecked_median_ms"] = percentile(rechecked_ms, 0.5);
      std::cout << " " << std::setw(17) << percentile(rechecked_ms, 0.5);
    }
    std::cout << std::endl;
    report["latency"].push_back(row);
  }

  // Throughput: mixed lengths, unpadded batches of batch_size sequences.
  std::uniform_int_distribution<size_t> len_dist(a.min_len, std::min(a.max_len, c.max_sequence_length()));
  std::vector<model::Batch> batches;
  size_t total_tokens = 0;
  for (size_t s = 0; s < a.mixed_sequences; ++s) {
    if (s % a.batch_size == 0) batches.emplace_back();
    const size_t len = len_dist(rng);
    batches.back().add(random_ids(rng, len, c.vocab_size));
    total_tokens += len;
  }
  auto mixed = throughput(model, batches);
  if (!mixed.ok()) return fail(mixed.error().message);
  std::cout << std::setprecision(1) << "throughput: " << a.mixed_sequences << " sequences of "
            << a.min_len << "-" << a.max_len << " tokens (mean "
            << static_cast<double>(total_tokens) / static_cast<double>(a.mixed_sequences) << "), batches of "
            << a.batch_size << ", unpadded: " << mixed->sequences_per_second << " sequences/s (median of 3)";
  if (reference) std::cout << ", " << 100 * mixed->rechecked_share << " % rechecked";
  std::cout << "\n";
  report["throughput"] = {{"sequences", a.mixed_sequences}, {"batch_size", a.batch_size},
                          {"min_tokens", a.min_len},       {"max_tokens", a.max_len},
                          {"total_tokens", total_tokens},  {"sequences_per_second", mixed->sequences_per_second}};
  if (reference) report["throughput"]["rechecked_share"] = mixed->rechecked_share;
  if (!a.texts.empty()) {
    size_t text_tokens = 0;
    auto text_set = text_batches(**pipeline, a.texts, a.batch_size, &text_tokens);
    if (!text_set.ok()) return fail(text_set.error().message);
    auto real = throughput(model, *text_set);
    if (!real.ok()) return fail(real.error().message);
    const size_t count = real->sequences;
    std::cout << "texts: " << count << " (mean " << static_cast<double>(text_tokens) / static_cast<double>(count)
              << " tokens), batches of " << a.batch_size << ": " << real->sequences_per_second
              << " sequences/s (median of 3)";
    if (reference) std::cout << ", " << 100 * real->rechecked_share << " % rechecked";
    std::cout << "\n";
    report["texts"] = {{"sequences", count}, {"total_tokens", text_tokens},
                       {"sequences_per_second", real->sequences_per_second}};
    if (reference) report["texts"]["rechecked_share"] = real->rechecked_share;
  }
  if (!a.json_out.empty()) {
    json_file << report.dump(2) << "\n";
    json_file.close();
    if (!json_file) return fail("cannot write " + a.json_out + ": " + std::strerror(errno));
  }
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<BenchArgs>();
  auto* cmd = app.add_subcommand("bench", "Measure in-process latency and throughput of a model");
  add_model_options(cmd, args->model);
  cmd->add_option("--lengths", args->lengths, "Token counts for the batch-1 latency runs (at most the model's maximum)")
      ->delimiter(',')
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--runs", args->runs, "Timed runs per length (after warm-up)")->check(CLI::Range(1, 1000000));
  cmd->add_option("--warmup", args->warmup, "Untimed runs per length");
  cmd->add_option("--mixed-sequences", args->mixed_sequences, "Sequences in the throughput run")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--batch-size", args->batch_size, "Sequences per batch in the throughput run")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--min-tokens", args->min_len, "Shortest sequence in the throughput run")->check(CLI::Range(1, 100000));
  cmd->add_option("--max-tokens", args->max_len, "Longest sequence in the throughput run")->check(CLI::Range(1, 100000));
  cmd->add_option("--texts", args->texts, "Also measure throughput on these texts (one per line; text<TAB>label accepted)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--json", args->json_out, "Also write the results as JSON to this file");
  cmd->callback([&action, args] { action = [args] { return run_bench(*args); }; });
}

}  // namespace verdict::cli
