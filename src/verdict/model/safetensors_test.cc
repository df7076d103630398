// Hostile and corrupt safetensors files, each rejected with its own precise message.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "testing/testdata.h"
#include "verdict/model/random_model.h"
#include "verdict/model/safetensors.h"
#include "verdict/model/sequence_classifier.h"

namespace verdict::model {
namespace {

std::string with_length(const std::string& header, const std::string& data, uint64_t declared) {
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &declared, 8);
  return bytes + header + data;
}

std::string file_bytes(const std::string& header, size_t data_bytes) {
  return with_length(header, std::string(data_bytes, '\x01'), header.size());
}

std::filesystem::path write_temp(const std::string& bytes) {
  static int counter = 0;
  const auto dir = testing::make_temp_dir("verdict-st-");
  const auto path = dir / ("t" + std::to_string(counter++) + ".safetensors");
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

struct HostileCase {
  const char* name;
  std::string bytes;
  const char* message;  // a substring the error must contain
};

TEST(SafetensorsTest, RejectsEveryHostileHeaderWithAPreciseMessage) {
  const std::vector<HostileCase> cases = {
      {"too short", "abc", "too short for the 8-byte header length"},
      {"header longer than file", with_length("{}", "", 1000), "header length 1000 exceeds the file size"},
      {"huge header length", with_length("{}", "", ~0ull), "exceeds the file size"},
      {"not json", file_bytes("{not json", 0), "header is not valid JSON"},
      {"not an object", file_bytes("[1,2]", 0), "header must be a JSON object"},
      {"entry not object", file_bytes(R"({"a":1})", 0), "tensor 'a' must be an object"},
      {"no dtype", file_bytes(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", 4), "has no field 'dtype'"},
      {"unknown dtype", file_bytes(R"({"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}})", 4),
       "unknown dtype 'F33'"},
      {"negative dim", file_bytes(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4),
       "non-integer or negative size -1"},
      {"float dim", file_bytes(R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", 4),
       "non-integer or negative size"},
      {"shape overflow",
       file_bytes(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}})", 4),
       "field 'shape' overflows"},
      {"rank too high", file_bytes(R"({"a":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}})", 4),
       "at most 8 sizes"},
      {"bad offsets", file_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", 4),
       "field 'data_offsets' must be [begin, end]"},
      {"size mismatch", file_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", 4),
       "spans 4 bytes but shape × dtype F32 needs 8"},
      {"outside data", file_bytes(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8),
       "lies outside the data section of 8 bytes"},
      {"begin after end", file_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", 8),
       "lies outside the data section"},
      {"overlap",
       file_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12),
       "overlaps another tensor"},
      {"hole",
       file_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})", 12),
       "leaves a hole of 4 bytes"},
      {"trailing bytes", file_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 12),
       "the data section has 12 bytes but the tensors cover 4"},
      {"metadata not strings", file_bytes(R"({"__metadata__":{"format":1}})", 0),
       "'__metadata__' value for 'format' must be a string"},
  };
  for (const auto& c : cases) {
    const auto path = write_temp(c.bytes);
    auto st = SafetensorsFile::open(path);
    ASSERT_FALSE(st.ok()) << c.name;
    EXPECT_EQ(st.error().code, ErrorCode::kCorruptModel) << c.name;
    EXPECT_NE(st.error().message.find(c.message), std::string::npos)
        << c.name << ": got '" << st.error().message << "'";
    EXPECT_NE(st.error().message.find(path.string()), std::string::npos) << c.name << " names the file";
  }
}

TEST(SafetensorsTest, AcceptsAValidFileAndReadsItsMetadata) {
  const auto path = write_temp(file_bytes(
      R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"I64","shape":[],"data_offsets":[4,12]}})", 12));
  auto st = SafetensorsFile::open(path);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->metadata().at("format"), "pt");
  ASSERT_NE(st->find("a"), nullptr);
  EXPECT_EQ(st->find("a")->shape, std::vector<size_t>{2});
  EXPECT_EQ(st->find("b")->num_elements(), 1u);
}

TEST(SafetensorsTest, HalfAndBfloat16ConversionsRoundTrip) {
  for (float f : {0.f, -0.f, 1.f, -2.5f, 65504.f, 6.1035156e-05f, 5.9604645e-08f, 0.333251953125f}) {
    EXPECT_EQ(half_to_float(float_to_half(f)), f) << f;
  }
  EXPECT_EQ(float_to_half(1e6f), 0x7c00);  // overflow to infinity
  EXPECT_EQ(bf16_to_float(float_to_bf16(1.5f)), 1.5f);
  EXPECT_EQ(float_to_bf16(1.00390625f), 0x3f80);  // ties to even
}

// A model folder whose tensors lie: copied from a golden model, one tensor changed.
class ModelFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = testing::testdata_dir() / "models" / "distilbert-sst2-tiny";
    dir_ = testing::make_temp_dir("verdict-model-");
    std::filesystem::copy_file(src_ / "config.json", dir_ / "config.json");
    auto st = SafetensorsFile::open(src_ / "model.safetensors");
    ASSERT_TRUE(st.ok());
    original_ = std::make_unique<SafetensorsFile>(std::move(*st));
  }
  // Writes the original tensors, letting `edit` drop (return false) or reshape them.
  void write(const std::function<bool(TensorToWrite&)>& edit, DType dtype = DType::kF32) {
    std::vector<TensorToWrite> tensors;
    for (const auto& [name, info] : original_->tensors()) {
      TensorToWrite t{name, info.shape, reinterpret_cast<const float*>(original_->data(info))};
      if (edit(t)) tensors.push_back(t);
    }
    ASSERT_TRUE(write_safetensors(dir_ / "model.safetensors", tensors, dtype, {}).ok());
  }
  std::string load_error() {
    auto m = SequenceClassifier::load(dir_);
    return m.ok() ? "" : m.error().message;
  }
  std::filesystem::path src_, dir_;
  std::unique_ptr<SafetensorsFile> original_;
};

TEST_F(ModelFolderTest, NamesAMissingTensor) {
  write([](TensorToWrite& t) { return t.name != "distilbert.transformer.layer.1.ffn.lin2.bias"; });
  EXPECT_NE(load_error().find("tensor 'distilbert.transformer.layer.1.ffn.lin2.bias' is missing"),
            std::string::npos)
      << load_error();
}

TEST_F(ModelFolderTest, NamesATensorWhoseShapeDisagreesWithTheConfig) {
  write([](TensorToWrite& t) {
    if (t.name == "distilbert.embeddings.word_embeddings.weight") t.shape = {30522 * 2, 32};
    return true;
  });
  EXPECT_NE(load_error().find("tensor 'distilbert.embeddings.word_embeddings.weight' has shape "
                              "[61044, 32], config.json implies [30522, 64]"),
            std::string::npos)
      << load_error();
}

TEST_F(ModelFolderTest, LoadsHalfPrecisionCopiesOfTheSameWeights) {
  write([](TensorToWrite&) { return true; }, DType::kBF16);
  auto m = SequenceClassifier::load(dir_);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ((*m)->weights().stored_dtype(), "BF16");
}

TEST_F(ModelFolderTest, ExplainsAFolderWithOnlyPytorchWeights) {
  std::ofstream(dir_ / "pytorch_model.bin") << "x";
  EXPECT_NE(load_error().find("pytorch_model.bin"), std::string::npos) << load_error();
}

}  // namespace
}  // namespace verdict::model

namespace verdict::model {
namespace {

TEST(RandomModelTest, WritesAFolderThatLoadsAndGivesVaryingLogits) {
  const auto out = testing::make_temp_dir("verdict-random-");
  const auto config = testing::testdata_dir() / "models" / "bert-3label-tiny" / "config.json";
  ASSERT_TRUE(write_random_model(config, out, 7, DType::kF32).ok());
  EXPECT_TRUE(std::filesystem::exists(out / "vocab.txt"));
  auto m = SequenceClassifier::load(out);
  ASSERT_TRUE(m.ok()) << m.error().message;
  Batch batch;
  batch.add(std::vector<int32_t>{101, 2000, 102});
  batch.add(std::vector<int32_t>{101, 3000, 4000, 5000, 102});
  auto logits = (*m)->forward(batch);
  ASSERT_TRUE(logits.ok());
  EXPECT_GT(std::fabs((*logits)[0] - (*logits)[3]) + std::fabs((*logits)[1] - (*logits)[4]), 1e-3);
}

}  // namespace
}  // namespace verdict::model
