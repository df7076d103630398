#include "verdict/model/config.h"

#include <nlohmann/json.hpp>

#include <limits>

#include "verdict/common/file_util.h"

namespace verdict::model {
namespace {

using nlohmann::json;

// Bounds that no real checkpoint comes near; they keep a hostile config from asking for
// absurd allocations before the weights are even looked at.
constexpr size_t kMaxDim = 1 << 16;
constexpr size_t kMaxVocab = 1 << 22;
constexpr size_t kMaxLayers = 256;
constexpr size_t kMaxPositions = 1 << 16;
constexpr size_t kMaxLabels = 1 << 14;

struct Reader {
  const json& j;
  const std::string& source;

  Error bad(const std::string& field, const std::string& why) const {
    return make_error(ErrorCode::kCorruptModel, source + ": field '" + field + "' " + why);
  }

  // Reads the first present key of `keys` as a positive integer within [lo, hi].
  Result<size_t> size(std::initializer_list<const char*> keys, size_t lo, size_t hi,
                      std::optional<size_t> fallback = std::nullopt) const {
    for (const char* key : keys) {
      auto it = j.find(key);
      if (it == j.end() || it->is_null()) continue;
      if (!it->is_number_integer()) return bad(key, "must be an integer, found " + it->dump());
      const auto v = it->get<int64_t>();
      if (v < static_cast<int64_t>(lo) || v > static_cast<int64_t>(hi)) {
        return bad(key, "is " + std::to_string(v) + ", outside [" + std::to_string(lo) + ", " +
                            std::to_string(hi) + "]");
      }
      return static_cast<size_t>(v);
    }
    if (fallback) return *fallback;
    return make_error(ErrorCode::kCorruptModel,
                      source + ": field '" + *keys.begin() + "' is missing");
  }
};

Result<Activation> parse_activation(const std::string& name, const std::string& source,
                                    const char* field) {
  if (name == "gelu") return Activation::kGelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return Activation::kGeluTanh;
  if (name == "relu") return Activation::kRelu;
  return make_error(ErrorCode::kUnsupported, source + ": field '" + field + "' is '" + name +
                                                 "'; supported: gelu, gelu_new, "
                                                 "gelu_pytorch_tanh, relu");
}

Result<std::vector<std::string>> parse_labels(const json& j, const std::string& source) {
  std::optional<size_t> num_labels;
  if (auto it = j.find("num_labels"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 ||
        it->get<int64_t>() > static_cast<int64_t>(kMaxLabels)) {
      return make_error(ErrorCode::kCorruptModel,
                        source + ": field 'num_labels' must be an integer in [1, " +
                            std::to_string(kMaxLabels) + "], found " + it->dump());
    }
    num_labels = it->get<size_t>();
  }
  std::vector<std::string> labels;
  auto it = j.find("id2label");
  if (it != j.end() && !it->is_null()) {
    if (!it->is_object() || it->empty() || it->size() > kMaxLabels) {
      return make_error(ErrorCode::kCorruptModel,
                        source + ": field 'id2label' must be a non-empty object of id -> label");
    }
    labels.resize(it->size());
    std::vector<bool> seen(it->size(), false);
    for (const auto& [key, value] : it->items()) {
      size_t id = 0;
      bool numeric = !key.empty() && key.size() < 8;
      for (char c : key) numeric = numeric && c >= '0' && c <= '9';
      if (numeric) id = std::stoul(key);
      if (!numeric || id >= labels.size() || seen[id]) {
        return make_error(ErrorCode::kCorruptModel,
                          source + ": field 'id2label' has key '" + key + "'; keys must be 0.." +
                              std::to_string(labels.size() - 1) + ", each once");
      }
      if (!value.is_string()) {
        return make_error(ErrorCode::kCorruptModel,
                          source + ": field 'id2label' value for '" + key + "' must be a string");
      }
      seen[id] = true;
      labels[id] = value.get<std::string>();
    }
    if (num_labels && *num_labels != labels.size()) {
      return make_error(ErrorCode::kCorruptModel,
                        source + ": field 'num_labels' is " + std::to_string(*num_labels) +
                            " but 'id2label' has " + std::to_string(labels.size()) + " labels");
    }
  } else {
    // transformers' default: two labels LABEL_0, LABEL_1 unless num_labels says otherwise.
    const size_t n = num_labels.value_or(2);
    for (size_t i = 0; i < n; ++i) labels.push_back("LABEL_" + std::to_string(i));
  }
  return labels;
}

}  // namespace

std::string_view architecture_name(Architecture arch) {
  switch (arch) {
    case Architecture::kDistilBert: return "DistilBertForSequenceClassification";
    case Architecture::kBert: return "BertForSequenceClassification";
    case Architecture::kRoberta: return "RobertaForSequenceClassification";
    case Architecture::kXlmRoberta: return "XLMRobertaForSequenceClassification";
  }
  return "?";
}

std::string_view activation_name(Activation act) {
  switch (act) {
    case Activation::kGelu: return "gelu";
    case Activation::kGeluTanh: return "gelu_new";
    case Activation::kRelu: return "relu";
  }
  return "?";
}

Result<ModelConfig> parse_config(std::string_view json_text, const std::string& source) {
  json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return make_error(ErrorCode::kCorruptModel, source + ": not valid JSON");
  if (!j.is_object()) return make_error(ErrorCode::kCorruptModel, source + ": must be a JSON object");

  ModelConfig c;
  auto mt = j.find("model_type");
  if (mt == j.end()) return make_error(ErrorCode::kCorruptModel, source + ": field 'model_type' is missing");
  if (!mt->is_string()) return make_error(ErrorCode::kCorruptModel, source + ": field 'model_type' must be a string");
  c.model_type = mt->get<std::string>();
  if (c.model_type == "distilbert") {
    c.architecture = Architecture::kDistilBert;
  } else if (c.model_type == "bert") {
    c.architecture = Architecture::kBert;
  } else if (c.model_type == "roberta") {
    c.architecture = Architecture::kRoberta;
  } else if (c.model_type == "xlm-roberta") {
    c.architecture = Architecture::kXlmRoberta;
  } else {
    return make_error(ErrorCode::kUnsupported,
                      source + ": model_type '" + c.model_type +
                          "' is not supported; supported: distilbert, bert, roberta, xlm-roberta");
  }
  if (auto arch = j.find("architectures"); arch != j.end() && arch->is_array() && !arch->empty()) {
    const std::string name = (*arch)[0].is_string() ? (*arch)[0].get<std::string>() : "";
    if (name != architecture_name(c.architecture)) {
      return make_error(ErrorCode::kUnsupported,
                        source + ": architecture '" + name + "' is not supported for model_type '" +
                            c.model_type + "'; supported: " +
                            std::string(architecture_name(Architecture::kDistilBert)) + ", " +
                            std::string(architecture_name(Architecture::kBert)) + ", " +
                            std::string(architecture_name(Architecture::kRoberta)) + ", " +
                            std::string(architecture_name(Architecture::kXlmRoberta)));
    }
  }

  const Reader r{j, source};
  const bool distil = c.architecture == Architecture::kDistilBert;
  auto take = [&](Result<size_t> v, size_t& out) -> std::optional<Error> {
    if (!v.ok()) return v.error();
    out = *v;
    return std::nullopt;
  };
  std::optional<Error> err;
  if ((err = take(r.size({"vocab_size"}, 1, kMaxVocab), c.vocab_size))) return *err;
  if ((err = take(r.size({distil ? "dim" : "hidden_size"}, 1, kMaxDim), c.hidden_size))) return *err;
  if ((err = take(r.size({distil ? "n_heads" : "num_attention_heads"}, 1, kMaxDim), c.num_heads)))
    return *err;
  if ((err = take(r.size({distil ? "n_layers" : "num_hidden_layers"}, 1, kMaxLayers), c.num_layers)))
    return *err;
  if ((err = take(r.size({distil ? "hidden_dim" : "intermediate_size"}, 1, kMaxDim * 4),
                  c.intermediate_size)))
    return *err;
  if ((err = take(r.size({"max_position_embeddings"}, 1, kMaxPositions), c.max_position_embeddings)))
    return *err;
  if (!distil) {
    if ((err = take(r.size({"type_vocab_size"}, 1, 1024, 2), c.type_vocab_size))) return *err;
  }
  if (c.hidden_size % c.num_heads != 0) {
    return make_error(ErrorCode::kCorruptModel,
                      source + ": hidden size " + std::to_string(c.hidden_size) +
                          " is not divisible by the number of heads " + std::to_string(c.num_heads));
  }

  if (c.roberta_positions()) c.pad_token_id = 1;  // RobertaConfig's default
  if (auto pad = j.find("pad_token_id"); pad != j.end() && !pad->is_null()) {
    if (!pad->is_number_integer() || pad->get<int64_t>() < 0 ||
        pad->get<int64_t>() >= static_cast<int64_t>(c.vocab_size)) {
      return make_error(ErrorCode::kCorruptModel,
                        source + ": field 'pad_token_id' must be an id in [0, vocab_size), found " +
                            pad->dump());
    }
    c.pad_token_id = pad->get<int32_t>();
  }

  if (c.roberta_positions() && c.max_sequence_length() == 0) {
    return make_error(ErrorCode::kCorruptModel,
                      source + ": field 'max_position_embeddings' is " + std::to_string(c.max_position_embeddings) +
                          ", which leaves no position after pad_token_id " + std::to_string(c.pad_token_id));
  }

  if (auto eps = j.find("layer_norm_eps"); eps != j.end() && !eps->is_null()) {
    // Checked as the float32 the kernels add: 1e-92 passes as a double but becomes 0.
    if (!eps->is_number() || !(eps->get<double>() > 0) || eps->get<double>() > 1 ||
        !(eps->get<float>() > 0)) {
      return make_error(ErrorCode::kCorruptModel,
                        source +
                            ": field 'layer_norm_eps' must be a number in (0, 1] that float32 "
                            "does not round to 0, found " +
                            eps->dump());
    }
    c.layer_norm_eps = eps->get<float>();
  }
  // DistilBERT's LayerNorms use a fixed 1e-12 that config.json does not carry.
  if (distil) c.layer_norm_eps = 1e-12f;

  const char* act_key = distil ? "activation" : "hidden_act";
  if (auto act = j.find(act_key); act != j.end() && !act->is_null()) {
    if (!act->is_string()) {
      return make_error(ErrorCode::kCorruptModel, source + ": field '" + act_key + "' must be a string");
    }
    auto a = parse_activation(act->get<std::string>(), source, act_key);
    if (!a.ok()) return a.error();
    c.activation = *a;
  }
  if (!distil) {
    if (auto pe = j.find("position_embedding_type");
        pe != j.end() && pe->is_string() && pe->get<std::string>() != "absolute") {
      return make_error(ErrorCode::kUnsupported,
                        source + ": position_embedding_type '" + pe->get<std::string>() +
                            "' is not supported; supported: absolute");
    }
  }

  if (auto pt = j.find("problem_type"); pt != j.end() && !pt->is_null()) {
    const std::string p = pt->is_string() ? pt->get<std::string>() : "";
    if (p == "single_label_classification") c.problem_type = ProblemType::kSingleLabel;
    else if (p == "multi_label_classification") c.problem_type = ProblemType::kMultiLabel;
    else if (p == "regression") c.problem_type = ProblemType::kRegression;
    else
      return make_error(ErrorCode::kCorruptModel,
                        source + ": field 'problem_type' is " + pt->dump() +
                            "; expected single_label_classification, multi_label_classification "
                            "or regression");
  }

  auto labels = parse_labels(j, source);
  if (!labels.ok()) return labels.error();
  c.labels = std::move(*labels);
  return c;
}

Result<ModelConfig> load_config(const std::filesystem::path& model_dir) {
  const auto path = model_dir / "config.json";
  auto text = read_file(path, 16u << 20);
  if (!text.ok()) return text.error();
  return parse_config(*text, path.string());
}

size_t parameter_count(const ModelConfig& c) {
  const size_t d = c.hidden_size, f = c.intermediate_size;
  size_t n = c.vocab_size * d + c.max_position_embeddings * d + c.type_vocab_size * d + 2 * d;
  const size_t layer = 4 * (d * d + d) + 2 * d + (d * f + f) + (f * d + d) + 2 * d;
  n += c.num_layers * layer;
  n += d * d + d;  // pre_classifier (DistilBERT), pooler (BERT) or classifier.dense (RoBERTa)
  n += c.num_labels() * d + c.num_labels();
  return n;
}

}  // namespace verdict::model
