// Every golden model's expected logits, labels and scores from its golden input ids — the
// model half of the pipeline, independent of the tokenizer.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <span>
#include <tuple>

#include "testing/testdata.h"
#include "verdict/kernels/cpu.h"
#include "verdict/model/convert.h"
#include "verdict/model/postprocess.h"
#include "verdict/model/torch_checkpoint.h"
#include "verdict/model/sequence_classifier.h"

namespace verdict::model {
namespace {

constexpr double kTolerance = 1e-4;  // testdata README: reference noise is below 1.7e-5

std::vector<std::string> golden_models() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(testing::testdata_dir() / "models")) {
    const auto dir = entry.path();
    if (!std::filesystem::exists(dir / "model.safetensors") || !std::filesystem::exists(dir / "expected.jsonl")) continue;
    auto config = load_config(dir);
    if (config.ok()) names.push_back(dir.filename().string());  // architectures Verdict serves
  }
  std::sort(names.begin(), names.end());
  return names;
}

class ModelGoldenTest : public ::testing::TestWithParam<std::string> {};

std::vector<int32_t> ints(const nlohmann::json& j) { return j.get<std::vector<int32_t>>(); }

void expect_golden_outputs(SequenceClassifier& m, const std::filesystem::path& expected_jsonl) {
  const auto rows = testing::read_jsonl(expected_jsonl);
  ASSERT_GT(rows.size(), 0u);
  const auto& config = m.config();
  for (const auto& row : rows) {
    Batch batch;
    batch.add(ints(row["input_ids"]), row.contains("token_type_ids") ? ints(row["token_type_ids"]) : std::vector<int32_t>{});
    auto logits = m.forward(batch);
    ASSERT_TRUE(logits.ok()) << logits.error().message;
    const auto expected = row["logits"].get<std::vector<double>>();
    ASSERT_EQ(logits->size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_NEAR((*logits)[i], expected[i], kTolerance) << row["text"];
    }
    const auto scores = score_labels(*logits, config, ScoreFunction::kDefault);
    EXPECT_EQ(scores[0].label, row["label"].get<std::string>()) << row["text"];
    EXPECT_NEAR(scores[0].score, row["score"].get<double>(), kTolerance) << row["text"];
    const auto& all = row["all_scores"];
    ASSERT_EQ(all.size(), scores.size());
    for (size_t i = 0; i < scores.size(); ++i) {
      EXPECT_EQ(scores[i].label, all[i]["label"].get<std::string>()) << row["text"];
      EXPECT_NEAR(scores[i].score, all[i]["score"].get<double>(), kTolerance) << row["text"];
    }
  }
}

TEST_P(ModelGoldenTest, ReproducesLogitsLabelsAndScores) {
  const auto dir = testing::testdata_dir() / "models" / GetParam();
  auto model = SequenceClassifier::load(dir);
  ASSERT_TRUE(model.ok()) << model.error().message;
  expect_golden_outputs(**model, dir / "expected.jsonl");
}

// A server starts on the weights in place and packs them in the background (defer_packing): the
// answers are the golden ones whichever layers are packed when a call runs.
TEST_P(ModelGoldenTest, GivesTheGoldenOutputsWhileAndAfterPackingInTheBackground) {
  const auto dir = testing::testdata_dir() / "models" / GetParam();
  std::atomic<int> reports{0};
  std::string error = "not reported";
  size_t bytes = 0;
  ModelOptions options;
  options.defer_packing = true;
  auto model = SequenceClassifier::load(dir, options);
  ASSERT_TRUE(model.ok()) << model.error().message;
  expect_golden_outputs(**model, dir / "expected.jsonl");  // nothing packed yet
  const bool packs = kernels::Linear::copies_weights(kernels::Precision::kF32);
  EXPECT_EQ((*model)->wait_for_packing(), !packs) << "packing has not started";
  (*model)->start_packing([&](const PackingReport& r) {
    error = r.error;
    bytes = r.bytes;
    reports.fetch_add(1);
  });
  expect_golden_outputs(**model, dir / "expected.jsonl");
  EXPECT_TRUE((*model)->wait_for_packing());
  expect_golden_outputs(**model, dir / "expected.jsonl");
  if (packs) {
    EXPECT_EQ(reports.load(), 1);
    EXPECT_EQ(error, "");
    EXPECT_GT(bytes, 0u);
  } else {
    EXPECT_EQ(reports.load(), 0) << "nothing to pack where f32 layers use their weights in place";
  }
}

// The fast precisions on every golden model: how far their logits move from the golden ones
// (printed, so CI logs carry the figures), and a bound that catches a broken kernel (a wrong
// scale or a misplaced fused projection moves logits by whole units) without pretending that
// quantisation is exact. Labels are compared where the golden margin exceeds the logit error.
TEST_P(ModelGoldenTest, FastPrecisionsStayCloseToTheGoldenLogits) {
  const auto dir = testing::testdata_dir() / "models" / GetParam();
  using kernels::Precision;
  const auto rows = testing::read_jsonl(dir / "expected.jsonl");
  // All inputs in one packed batch, so that attention takes the products it takes in serving
  // (bf16 ones where the CPU has them, as options_for_dtype chooses).
  Batch batch;
  for (const auto& row : rows) {
    batch.add(ints(row["input_ids"]),
              row.contains("token_type_ids") ? ints(row["token_type_ids"]) : std::vector<int32_t>{});
  }
  const Precision attention =
      kernels::precision_supported(Precision::kBF16).ok() ? Precision::kBF16 : Precision::kF32;
  // (precision, q/k/v precision, layers with that q/k/v): int8, bf16, int8 with bf16 q/k/v
  // everywhere, and auto's int8 with bf16 q/k/v in the first layer.
  const size_t all = std::numeric_limits<size_t>::max();
  for (auto [precision, qkv, qkv_layers] :
       {std::tuple{Precision::kInt8, Precision::kInt8, all}, std::tuple{Precision::kBF16, Precision::kBF16, all},
        std::tuple{Precision::kInt8, Precision::kBF16, all}, std::tuple{Precision::kInt8, Precision::kBF16, size_t{1}}}) {
    if (!kernels::precision_supported(precision).ok() || !kernels::precision_supported(qkv).ok()) continue;
    ModelOptions options;
    options.precision = precision;
    options.qkv_precision = qkv;
    options.qkv_precision_layers = qkv_layers;
    options.attention_precision = attention;
    auto model = SequenceClassifier::load(dir, options);
    ASSERT_TRUE(model.ok()) << model.error().message;
    const std::string name =
        std::string(kernels::precision_name(precision)) +
        (qkv != precision ? " (q/k/v " + std::string(kernels::precision_name(qkv)) +
                                (qkv_layers == all ? "" : " in layer 1") + ")"
                          : "");
    auto logits = (*model)->forward(batch);
    ASSERT_TRUE(logits.ok()) << logits.error().message;
    const size_t C = (*model)->config().num_labels();
    double max_delta = 0, sum_delta = 0, spread = 0;
    size_t values = 0, agree = 0;
    for (size_t r = 0; r < rows.size(); ++r) {
      const auto expected = rows[r]["logits"].get<std::vector<double>>();
      const std::vector<float> row_logits(logits->begin() + r * C, logits->begin() + (r + 1) * C);
      for (size_t i = 0; i < expected.size(); ++i) {
        const double d = std::fabs(row_logits[i] - expected[i]);
        max_delta = std::max(max_delta, d);
        sum_delta += d;
        spread = std::max(spread, std::fabs(expected[i]));
        ++values;
      }
      const auto scores = score_labels(row_logits, (*model)->config(), ScoreFunction::kDefault);
      agree += scores[0].label == rows[r]["label"].get<std::string>();
    }
    const double mean_delta = sum_delta / static_cast<double>(values);
    std::printf(
        "[ %s ] %s (attention %s): mean |dlogit| %.4f, max %.4f (largest |logit| %.3f), top label agrees on "
        "%zu/%zu\n",
        name.c_str(), GetParam().c_str(), std::string(kernels::precision_name(attention)).c_str(), mean_delta,
        max_delta, spread, agree, rows.size());
    EXPECT_LT(mean_delta, 0.1 * spread + 0.01) << name;
    EXPECT_GE(static_cast<double>(agree), 0.8 * static_cast<double>(rows.size())) << name;
  }
}

// The fp32 recheck of close calls (ModelOptions::recheck_margin), on all of a model's golden
// inputs in one packed batch: a row whose fast margin is below the recheck margin carries fp32's
// logits, any other the fast pass's; with an unbounded margin every answer is the golden one.
std::vector<float> top_two_margins(const std::vector<float>& logits, size_t labels) {
  std::vector<float> out;
  for (size_t r = 0; r < logits.size() / labels; ++r) {
    std::vector<float> row(logits.begin() + r * labels, logits.begin() + (r + 1) * labels);
    std::partial_sort(row.begin(), row.begin() + 2, row.end(), std::greater<>());
    out.push_back(row[0] - row[1]);
  }
  return out;
}

TEST_P(ModelGoldenTest, RecheckAnswersCloseCallsInFp32AndKeepsTheRest) {
  const auto dir = testing::testdata_dir() / "models" / GetParam();
  const auto rows = testing::read_jsonl(dir / "expected.jsonl");
  Batch batch;
  for (const auto& row : rows) {
    batch.add(ints(row["input_ids"]), row.contains("token_type_ids") ? ints(row["token_type_ids"]) : std::vector<int32_t>{});
  }
  for (auto precision : {kernels::Precision::kInt8, kernels::Precision::kBF16}) {
    if (!kernels::precision_supported(precision).ok()) continue;
    ModelOptions plain;
    plain.precision = precision;
    auto fast_model = SequenceClassifier::load(dir, plain);
    ASSERT_TRUE(fast_model.ok()) << fast_model.error().message;
    EXPECT_EQ((*fast_model)->reference(), nullptr);
    auto fast = (*fast_model)->forward(batch);
    ASSERT_TRUE(fast.ok()) << fast.error().message;
    const size_t C = (*fast_model)->config().num_labels();
    if (C < 2) continue;  // one logit: no label to flip, so no recheck
    const auto margins = top_two_margins(*fast, C);
    std::vector<float> sorted = margins;
    std::sort(sorted.begin(), sorted.end());

    ModelOptions checked = plain;
    checked.recheck_margin = sorted[sorted.size() / 2];  // about half the rows rechecked
    auto model = SequenceClassifier::load(dir, checked);
    ASSERT_TRUE(model.ok()) << model.error().message;
    ASSERT_NE((*model)->reference(), nullptr);
    auto logits = (*model)->forward(batch);
    ASSERT_TRUE(logits.ok()) << logits.error().message;
    size_t rechecked = 0;
    for (size_t r = 0; r < rows.size(); ++r) {
      const bool close = margins[r] < checked.recheck_margin;
      rechecked += close;
      const auto expected = rows[r]["logits"].get<std::vector<double>>();
      for (size_t c = 0; c < C; ++c) {
        if (close) {
          EXPECT_NEAR((*logits)[r * C + c], expected[c], kTolerance) << "row " << r;
        } else {
          EXPECT_EQ((*logits)[r * C + c], (*fast)[r * C + c]) << "row " << r;
        }
      }
    }
    EXPECT_GT(rechecked, 0u);
    EXPECT_EQ((*model)->rechecked(), rechecked);

    checked.recheck_margin = std::numeric_limits<float>::infinity();
    auto exact = SequenceClassifier::load(dir, checked);
    ASSERT_TRUE(exact.ok()) << exact.error().message;
    expect_golden_outputs(**exact, dir / "expected.jsonl");
    EXPECT_EQ((*exact)->rechecked(), rows.size());
  }
}

// `auto`: int8 with the recheck where int8 runs on AVX2 or better; q/k/v in bf16 where bf16 runs;
// the margin set by those and the activations' bits (README "Accuracy of the fast paths"). The
// VERDICT_ISA=avx2 variant of this program checks the 7-bit case on any CPU.
TEST(AutoDtypeTest, IsInt8WithAnFp32RecheckSizedForTheCpu) {
  auto options = options_for_dtype("auto");
  ASSERT_TRUE(options.ok()) << options.error().message;
  if (!kernels::effective_isa_at_least("avx2")) {
    EXPECT_EQ(options->precision, kernels::Precision::kF32);
    return;
  }
  EXPECT_EQ(options->precision, kernels::Precision::kInt8);
  if (kernels::precision_supported(kernels::Precision::kBF16).ok()) {
    EXPECT_EQ(options->qkv_precision, kernels::Precision::kBF16);
    EXPECT_EQ(options->qkv_precision_layers, 1u);
    EXPECT_EQ(options->attention_precision, kernels::Precision::kBF16);
    EXPECT_FLOAT_EQ(options->recheck_margin, 0.5f);
  } else {
    EXPECT_FALSE(options->qkv_precision.has_value());
    EXPECT_EQ(options->attention_precision, kernels::Precision::kF32);
    EXPECT_FLOAT_EQ(options->recheck_margin, kernels::int8_activation_bits() == 8 ? 1.0f : 1.5f);
  }
  auto fp32 = options_for_dtype("fp32");
  ASSERT_TRUE(fp32.ok());
  EXPECT_EQ(fp32->recheck_margin, 0.f);
  EXPECT_EQ(fp32->attention_precision, kernels::Precision::kF32);
  EXPECT_FALSE(options_for_dtype("fp8").ok());
  ModelOptions bad;
  bad.precision = kernels::Precision::kInt8;
  bad.recheck_margin = -1;
  auto model = SequenceClassifier::load(testing::testdata_dir() / "models" / "distilbert-sst2-tiny", bad);
  EXPECT_FALSE(model.ok());
  ModelOptions int8_attention;
  int8_attention.attention_precision = kernels::Precision::kInt8;
  model =
      SequenceClassifier::load(testing::testdata_dir() / "models" / "distilbert-sst2-tiny", int8_attention);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.error().message.find("attention"), std::string::npos) << model.error().message;
}

// The same weights saved by torch.save (testdata README): same outputs as the safetensors copy.
std::filesystem::path sst2_expected() {
  return testing::testdata_dir() / "models" / "distilbert-sst2-tiny" / "expected.jsonl";
}

TEST(TorchGoldenTest, FolderWithOnlyPytorchModelBinGivesTheGoldenOutputs) {
  auto model = SequenceClassifier::load(testing::testdata_dir() / "models" / "distilbert-sst2-tiny-bin");
  ASSERT_TRUE(model.ok()) << model.error().message;
  expect_golden_outputs(**model, sst2_expected());
}

TEST(TorchGoldenTest, LegacyFormatCheckpointGivesTheGoldenOutputs) {
  const auto dir = testing::testdata_dir() / "models" / "distilbert-sst2-tiny-bin";
  auto config = load_config(dir);
  ASSERT_TRUE(config.ok()) << config.error().message;
  auto store = WeightStore::load(dir / "pytorch_model.legacy.bin", *config);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ((*store)->stored_dtype(), "F32");
  auto model = SequenceClassifier::create(std::move(*config), std::move(*store));
  ASSERT_TRUE(model.ok()) << model.error().message;
  expect_golden_outputs(**model, sst2_expected());
}

// A temporary folder like the original service's: config, tokenizer, and `weights` of the
// golden -bin folder as pytorch_model.bin (symlinks: the golden data stays read-only).
std::filesystem::path torch_only_folder(const char* weights) {
  const auto src = testing::testdata_dir() / "models" / "distilbert-sst2-tiny-bin";
  const auto dir = testing::make_temp_dir("verdict-torch-");
  for (const char* f : {"config.json", "vocab.txt", "tokenizer_config.json"}) {
    std::filesystem::create_symlink(src / f, dir / f);
  }
  std::filesystem::create_symlink(src / weights, dir / "pytorch_model.bin");
  return dir;
}

TEST(TorchGoldenTest, ConvertedSafetensorsHoldTheSameBytesAndGiveTheGoldenOutputs) {
  for (const char* weights : {"pytorch_model.bin", "pytorch_model.legacy.bin"}) {
    const auto dir = torch_only_folder(weights);
    auto summary = convert_to_safetensors(dir, /*overwrite=*/false);
    ASSERT_TRUE(summary.ok()) << summary.error().message;
    EXPECT_EQ(summary->tensors, 40u);
    auto st = SafetensorsFile::open(dir / "model.safetensors");
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_EQ(st->metadata(), (std::map<std::string, std::string>{{"format", "pt"}}));
    auto ckpt = TorchCheckpoint::open(dir / "pytorch_model.bin");
    ASSERT_TRUE(ckpt.ok());
    ASSERT_EQ(st->tensors().size(), (*ckpt)->tensors().size());
    for (const TorchTensor& t : (*ckpt)->tensors()) {
      const TensorInfo* info = st->find(t.name);
      ASSERT_NE(info, nullptr) << t.name;
      EXPECT_EQ(info->dtype, t.dtype);
      EXPECT_EQ(info->shape, t.shape);
      ASSERT_EQ(info->end - info->begin, t.num_bytes());
      EXPECT_EQ(std::memcmp(st->data(*info), (*ckpt)->data(t), t.num_bytes()), 0) << t.name;
    }
    auto model = SequenceClassifier::load(dir);  // now from model.safetensors
    ASSERT_TRUE(model.ok()) << model.error().message;
    expect_golden_outputs(**model, sst2_expected());

    auto again = convert_to_safetensors(dir, /*overwrite=*/false);
    ASSERT_FALSE(again.ok());
    EXPECT_NE(again.error().message.find("already exists; pass --force"), std::string::npos);
    EXPECT_TRUE(convert_to_safetensors(dir, /*overwrite=*/true).ok());
    std::filesystem::remove_all(dir);
  }
}

// Padding-free batches: a batch of mixed lengths gives each sequence its single-run logits.
TEST_P(ModelGoldenTest, BatchedMixedLengthsEqualSingleRuns) {
  const auto dir = testing::testdata_dir() / "models" / GetParam();
  auto model = SequenceClassifier::load(dir);
  ASSERT_TRUE(model.ok()) << model.error().message;
  const auto rows = testing::read_jsonl(dir / "expected.jsonl");
  Batch batch;
  std::vector<std::vector<float>> singles;
  for (size_t i = 0; i < rows.size(); i += 3) {
    const auto ids = ints(rows[i]["input_ids"]);
    const auto types = rows[i].contains("token_type_ids") ? ints(rows[i]["token_type_ids"]) : std::vector<int32_t>{};
    batch.add(ids, types);
    Batch one;
    one.add(ids, types);
    singles.push_back(*(*model)->forward(one));
  }
  auto logits = (*model)->forward(batch);
  ASSERT_TRUE(logits.ok()) << logits.error().message;
  const size_t C = (*model)->config().num_labels();
  for (size_t b = 0; b < singles.size(); ++b) {
    // Not bit-equal: oneDNN may pick another kernel, with another summation order, for another
    // row count (gemm:jit on AVX-512 differs by up to 1.2e-5 here). A sequence seeing another's
    // tokens would be off by orders of magnitude more.
    for (size_t c = 0; c < C; ++c) EXPECT_NEAR((*logits)[b * C + c], singles[b][c], 3e-5);
  }
}

// Large int8 batches take the layers after attention as row tasks on single-threaded products
// (finish_layer_in_tasks); small ones take each product on the whole pool. Both are integer
// products with the same per-row epilogues, so each sequence gets the same logits either way,
// but for the fp32 head, whose kernel may differ with the row count (as above).
TEST_P(ModelGoldenTest, Int8BatchesOfRowTasksEqualSmallBatches) {
  const auto dir = testing::testdata_dir() / "models" / GetParam();
  ModelOptions options;
  options.precision = kernels::Precision::kInt8;
  auto model = SequenceClassifier::load(dir, options);
  ASSERT_TRUE(model.ok()) << model.error().message;
  const size_t threads = kernels::num_threads();
  kernels::set_num_threads(2);  // row tasks need a pool; the same attention route for both
  const auto rows = testing::read_jsonl(dir / "expected.jsonl");
  // Inputs under 32 tokens in batches of 8 (under 256 tokens each, enough sequences for
  // attention to take the same route as in the whole batch), and all of them in one batch.
  Batch all;
  std::vector<Batch> small;
  for (const auto& row : rows) {
    const auto ids = ints(row["input_ids"]);
    if (ids.size() >= 32) continue;
    if (small.empty() || small.back().size() == 8) small.emplace_back();
    small.back().add(ids, row.contains("token_type_ids") ? ints(row["token_type_ids"]) : std::vector<int32_t>{});
  }
  if (!small.empty() && small.back().size() < 8) small.pop_back();
  for (const auto& b : small) {
    for (size_t i = 0; i < b.size(); ++i) {
      const size_t start = b.cu_seq_lengths[i], len = b.seq_len(i);
      all.add(std::span(b.input_ids).subspan(start, len),
              b.token_type_ids.empty() ? std::span<const int32_t>() : std::span(b.token_type_ids).subspan(start, len));
    }
  }
  // The same sequences twice: from 1,024 rows the tasks hold 64 rows instead of 32.
  Batch twice;
  for (int copy = 0; copy < 2; ++copy) {
    for (size_t i = 0; i < all.size(); ++i) {
      const size_t start = all.cu_seq_lengths[i], len = all.seq_len(i);
      twice.add(std::span(all.input_ids).subspan(start, len),
                all.token_type_ids.empty() ? std::span<const int32_t>()
                                           : std::span(all.token_type_ids).subspan(start, len));
    }
  }
  auto logits = (*model)->forward(all);
  auto twice_logits = (*model)->forward(twice);
  std::vector<float> pieces;
  for (const auto& b : small) {
    EXPECT_LT(b.num_tokens(), 256u);  // below the row tasks' threshold
    auto l = (*model)->forward(b);
    ASSERT_TRUE(l.ok()) << l.error().message;
    pieces.insert(pieces.end(), l->begin(), l->end());
  }
  kernels::set_num_threads(threads);
  ASSERT_TRUE(logits.ok()) << logits.error().message;
  EXPECT_GE(all.num_tokens(), 512u);  // several tasks a thread
  ASSERT_EQ(logits->size(), pieces.size());
  for (size_t i = 0; i < pieces.size(); ++i) EXPECT_NEAR((*logits)[i], pieces[i], 3e-5) << i;
  ASSERT_TRUE(twice_logits.ok()) << twice_logits.error().message;
  EXPECT_GE(twice.num_tokens(), kernels::kWideTaskMinRows);
  ASSERT_EQ(twice_logits->size(), 2 * pieces.size());
  for (size_t i = 0; i < twice_logits->size(); ++i) {
    EXPECT_NEAR((*twice_logits)[i], pieces[i % pieces.size()], 3e-5) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, ModelGoldenTest, ::testing::ValuesIn(golden_models()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

// The RoBERTa family runs here on its golden ids: xlmr-sentiment-tiny's model is proven even
// before Verdict reads its tokenizer.
TEST(ModelTest, GoldenModelsIncludeRobertaAndXlmRoberta) {
  const auto names = golden_models();
  for (const char* name : {"roberta-sentiment-tiny", "roberta-pairs-f16-tiny", "xlmr-sentiment-tiny"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
}

TEST(ModelTest, RobertaPositionsStartAfterPadSoAtMost512TokensFit) {
  auto model = SequenceClassifier::load(testing::testdata_dir() / "models" / "roberta-sentiment-tiny");
  ASSERT_TRUE(model.ok()) << model.error().message;
  Batch ok;
  ok.add(std::vector<int32_t>(512, 100));  // positions 2..513 of 514
  EXPECT_TRUE((*model)->forward(ok).ok());
  Batch too_long;
  too_long.add(std::vector<int32_t>(513, 100));
  auto r = (*model)->forward(too_long);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("at most 512"), std::string::npos) << r.error().message;
  // A literal <pad> inside the text (position padding_idx, not counted) is the golden case
  // "x <pad> y <unk> z" of expected.jsonl.
}

TEST(ModelTest, RejectsIdsOutsideTheVocabularyAndOverlongInputs) {
  auto model = SequenceClassifier::load(testing::testdata_dir() / "models" / "distilbert-sst2-tiny");
  ASSERT_TRUE(model.ok());
  Batch bad_id;
  bad_id.add(std::vector<int32_t>{101, 999999, 102});
  auto r = (*model)->forward(bad_id);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("999999"), std::string::npos);
  Batch too_long;
  too_long.add(std::vector<int32_t>(513, 1000));
  r = (*model)->forward(too_long);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("513"), std::string::npos);
}

}  // namespace
}  // namespace verdict::model
