// config.json: what is read, the defaults, and every malformed field rejected by name.
#include <gtest/gtest.h>

#include "verdict/model/config.h"

namespace verdict::model {
namespace {

const char* kDistil = R"({"model_type":"distilbert","architectures":["DistilBertForSequenceClassification"],
  "vocab_size":100,"dim":8,"n_heads":2,"n_layers":1,"hidden_dim":16,"max_position_embeddings":32,
  "activation":"gelu","id2label":{"0":"NEGATIVE","1":"POSITIVE"}})";

std::string patch(std::string base, const std::string& key, const std::string& value) {
  const std::string quoted = "\"" + key + "\":";
  auto pos = base.find(quoted);
  if (pos == std::string::npos) return base.substr(0, base.size() - 1) + "," + quoted + value + "}";
  auto end = base.find_first_of(",}", pos + quoted.size());
  if (base[pos + quoted.size()] == '{') end = base.find('}', pos) + 1;
  return base.substr(0, pos) + quoted + value + base.substr(end);
}

TEST(ConfigTest, ReadsDistilBertFieldsAndLabels) {
  auto c = parse_config(kDistil, "config.json");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->architecture, Architecture::kDistilBert);
  EXPECT_EQ(c->hidden_size, 8u);
  EXPECT_EQ(c->head_dim(), 4u);
  EXPECT_EQ(c->type_vocab_size, 0u);
  EXPECT_FLOAT_EQ(c->layer_norm_eps, 1e-12f);
  EXPECT_EQ(c->labels, (std::vector<std::string>{"NEGATIVE", "POSITIVE"}));
}

TEST(ConfigTest, DefaultsLabelsToLabelNWhenOnlyNumLabelsIsGiven) {
  auto c = parse_config(patch(patch(kDistil, "id2label", "null"), "num_labels", "3"), "config.json");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->labels, (std::vector<std::string>{"LABEL_0", "LABEL_1", "LABEL_2"}));
}

TEST(ConfigTest, ReadsBertFieldsWithTokenTypesAndEps) {
  auto c = parse_config(R"({"model_type":"bert","vocab_size":100,"hidden_size":8,"num_attention_heads":2,
    "num_hidden_layers":1,"intermediate_size":16,"max_position_embeddings":32,"layer_norm_eps":1e-5,
    "hidden_act":"relu","problem_type":"multi_label_classification"})", "config.json");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->type_vocab_size, 2u);
  EXPECT_FLOAT_EQ(c->layer_norm_eps, 1e-5f);
  EXPECT_EQ(c->activation, Activation::kRelu);
  EXPECT_EQ(c->problem_type, ProblemType::kMultiLabel);
}

TEST(ConfigTest, ReadsRobertaAndXlmRobertaWithTheirPositionRule) {
  const std::string base = R"({"model_type":"roberta","architectures":["RobertaForSequenceClassification"],
    "vocab_size":100,"hidden_size":8,"num_attention_heads":2,"num_hidden_layers":1,"intermediate_size":16,
    "max_position_embeddings":514,"type_vocab_size":1,"layer_norm_eps":1e-05,"pad_token_id":1})";
  auto c = parse_config(base, "config.json");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->architecture, Architecture::kRoberta);
  EXPECT_EQ(c->type_vocab_size, 1u);
  EXPECT_FLOAT_EQ(c->layer_norm_eps, 1e-5f);
  EXPECT_EQ(c->pad_token_id, 1);
  EXPECT_TRUE(c->roberta_positions());
  EXPECT_EQ(c->max_sequence_length(), 512u);  // positions 2..513

  auto x = parse_config(patch(patch(base, "model_type", "\"xlm-roberta\""), "architectures",
                              "[\"XLMRobertaForSequenceClassification\"]"),
                        "config.json");
  ASSERT_TRUE(x.ok()) << x.error().message;
  EXPECT_EQ(x->architecture, Architecture::kXlmRoberta);
  EXPECT_EQ(x->max_sequence_length(), 512u);

  auto bad = parse_config(patch(base, "architectures", "[\"BertForSequenceClassification\"]"), "config.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(bad.error().message.find("'BertForSequenceClassification' is not supported for model_type 'roberta'"),
            std::string::npos)
      << bad.error().message;

  auto none = parse_config(patch(base, "max_position_embeddings", "2"), "config.json");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("max_position_embeddings"), std::string::npos) << none.error().message;
}

TEST(ConfigTest, RejectsEveryMalformedFieldByName) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{", "not valid JSON"},
      {"[]", "must be a JSON object"},
      {patch(kDistil, "model_type", "\"gpt2\""), "model_type 'gpt2' is not supported; supported: distilbert, bert"},
      {patch(kDistil, "model_type", "5"), "field 'model_type' must be a string"},
      {patch(kDistil, "architectures", "[\"DistilBertForMaskedLM\"]"), "architecture 'DistilBertForMaskedLM' is not supported"},
      {patch(kDistil, "dim", "\"8\""), "field 'dim' must be an integer"},
      {patch(kDistil, "dim", "-8"), "field 'dim' is -8, outside"},
      {patch(kDistil, "dim", "9"), "hidden size 9 is not divisible by the number of heads 2"},
      {patch(kDistil, "vocab_size", "100000000000"), "field 'vocab_size' is 100000000000, outside"},
      {patch(kDistil, "n_layers", "null"), "field 'n_layers' is missing"},
      {patch(kDistil, "activation", "\"swish\""), "field 'activation' is 'swish'; supported"},
      {patch(kDistil, "id2label", "{\"0\":\"A\",\"2\":\"B\"}"), "field 'id2label' has key '2'"},
      {patch(kDistil, "id2label", "{\"0\":1}"), "value for '0' must be a string"},
      {patch(kDistil, "num_labels", "3"), "field 'num_labels' is 3 but 'id2label' has 2 labels"},
      {patch(kDistil, "pad_token_id", "100"), "field 'pad_token_id' must be an id in [0, vocab_size)"},
      {patch(kDistil, "problem_type", "\"ranking\""), "field 'problem_type'"},
  };
  for (const auto& [json, message] : cases) {
    auto c = parse_config(json, "/m/config.json");
    ASSERT_FALSE(c.ok()) << json;
    EXPECT_NE(c.error().message.find(message), std::string::npos) << "got: " << c.error().message;
    EXPECT_EQ(c.error().message.rfind("/m/config.json: ", 0), 0u) << c.error().message;
  }
}

TEST(ConfigTest, LayerNormEpsMustBePositive) {
  auto c = parse_config(R"({"model_type":"bert","vocab_size":100,"hidden_size":8,"num_attention_heads":2,
    "num_hidden_layers":1,"intermediate_size":16,"max_position_embeddings":32,"layer_norm_eps":0})", "c");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("layer_norm_eps"), std::string::npos);
}

TEST(ConfigTest, LayerNormEpsThatFloat32RoundsToZeroIsRejected) {
  // Found by fuzz_config: 1e-92 is positive as a double but the kernels would add 0 and divide
  // by zero on a constant row.
  const std::string bert = R"({"model_type":"bert","vocab_size":100,"hidden_size":8,"num_attention_heads":2,
    "num_hidden_layers":1,"intermediate_size":16,"max_position_embeddings":32})";
  for (const char* eps : {"1e-92", "1e-46", "-1e-92"}) {
    auto c = parse_config(patch(bert, "layer_norm_eps", eps), "c");
    ASSERT_FALSE(c.ok()) << eps;
    EXPECT_NE(c.error().message.find("field 'layer_norm_eps' must be a number in (0, 1]"), std::string::npos)
        << c.error().message;
  }
  auto tiny = parse_config(patch(bert, "layer_norm_eps", "1e-40"), "c");  // a float32 subnormal
  ASSERT_TRUE(tiny.ok()) << tiny.error().message;
  EXPECT_GT(tiny->layer_norm_eps, 0.f);
}

}  // namespace
}  // namespace verdict::model
