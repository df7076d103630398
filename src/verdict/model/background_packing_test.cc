// Background packing (ModelOptions::defer_packing): forward() calls made while layers
// switch from the in-place weights to their packed copies give the same answers as a model
// packed up front, and a model destroyed mid-way stops its packer cleanly.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "testing/testdata.h"
#include "verdict/model/random_model.h"
#include "verdict/model/sequence_classifier.h"

namespace verdict::model {
namespace {

// A random DistilBERT big enough that packing takes a few milliseconds, so calls overlap it.
std::filesystem::path medium_model() {
  static const std::filesystem::path dir = [] {
    const auto tmp = testing::make_temp_dir("verdict-packing-");
    auto config = nlohmann::json::parse(
        std::ifstream(testing::testdata_dir() / "models" / "distilbert-sst2-tiny" / "config.json"));
    config["dim"] = 256;
    config["hidden_dim"] = 1024;
    config["n_layers"] = 4;
    config["vocab_size"] = 1000;
    config["max_position_embeddings"] = 128;
    std::ofstream(tmp / "config.json") << config.dump();
    const auto out = tmp / "model";
    const auto st = write_random_model(tmp / "config.json", out, 3, DType::kF32);
    EXPECT_TRUE(st.ok()) << st.error().message;
    return out;
  }();
  return dir;
}

Batch sample_batch() {
  Batch batch;
  batch.add(std::vector<int32_t>{101, 7, 8, 9, 102});
  batch.add(std::vector<int32_t>{101, 500, 600, 700, 800, 900, 999, 3, 102});
  return batch;
}

// The logits of sample_batch() from a model packed at load.
std::vector<float> packed_at_load_logits() {
  auto reference = SequenceClassifier::load(medium_model());
  EXPECT_TRUE(reference.ok()) << reference.error().message;
  if (!reference.ok()) return {};
  auto logits = (*reference)->forward(sample_batch());
  EXPECT_TRUE(logits.ok());
  return logits.ok() ? *logits : std::vector<float>{};
}

// A model that starts on its weights in place.
std::unique_ptr<SequenceClassifier> deferred_model() {
  ModelOptions options;
  options.defer_packing = true;
  auto model = SequenceClassifier::load(medium_model(), options);
  EXPECT_TRUE(model.ok()) << model.error().message;
  return model.ok() ? std::move(*model) : nullptr;
}

void expect_near(const std::vector<float>& got, const std::vector<float>& want, const char* when) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-4) << when << ", logit " << i;
}

TEST(BackgroundPackingTest, CallsDuringTheSwitchGiveThePackedModelsAnswers) {
  const auto want = packed_at_load_logits();
  const Batch batch = sample_batch();
  auto model = deferred_model();
  ASSERT_TRUE(model);
  model->start_packing();
  for (int i = 0; i < 40; ++i) {
    auto got = model->forward(batch);
    ASSERT_TRUE(got.ok());
    expect_near(*got, want, "while packing");
  }
  EXPECT_TRUE(model->wait_for_packing());
  auto got = model->forward(batch);
  ASSERT_TRUE(got.ok());
  expect_near(*got, want, "after packing");
}

// What the CLI does once a run has enough texts: pack on the spot, ending on the same route, and
// so with bit-for-bit the answers of a model packed at load.
TEST(BackgroundPackingTest, PackingOnTheSpotEndsWhereLoadTimePackingStarts) {
  const auto want = packed_at_load_logits();
  auto model = deferred_model();
  ASSERT_TRUE(model);
  model->pack();
  EXPECT_TRUE(model->wait_for_packing());
  model->start_packing();  // nothing left to do
  auto got = model->forward(sample_batch());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, want);
}

TEST(BackgroundPackingTest, AModelDestroyedWhilePackingStopsItsPacker) {
  for (int i = 0; i < 5; ++i) {
    auto model = deferred_model();
    ASSERT_TRUE(model);
    model->start_packing();
  }  // each destructor joins its packer; ASan/LSan would report what it left behind
}

}  // namespace
}  // namespace verdict::model
