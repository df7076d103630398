// config.json of a Hugging Face sequence-classification model, validated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "verdict/common/error.h"

namespace verdict::model {

enum class Architecture { kDistilBert, kBert, kRoberta, kXlmRoberta };
enum class Activation { kGelu, kGeluTanh, kRelu };
enum class ProblemType { kUnspecified, kSingleLabel, kMultiLabel, kRegression };

std::string_view architecture_name(Architecture arch);
std::string_view activation_name(Activation act);

struct ModelConfig {
  Architecture architecture = Architecture::kDistilBert;
  std::string model_type;  // as written in config.json
  size_t vocab_size = 0;
  size_t hidden_size = 0;
  size_t num_heads = 0;
  size_t num_layers = 0;
  size_t intermediate_size = 0;
  size_t max_position_embeddings = 0;
  size_t type_vocab_size = 0;  // 0 for DistilBERT (no token types)
  float layer_norm_eps = 1e-12f;
  int32_t pad_token_id = 0;
  Activation activation = Activation::kGelu;
  ProblemType problem_type = ProblemType::kUnspecified;
  std::vector<std::string> labels;  // id2label, index = class id

  size_t num_labels() const { return labels.size(); }
  // RoBERTa and XLM-R number positions from pad_token_id + 1 (pad tokens sit at pad_token_id).
  bool roberta_positions() const {
    return architecture == Architecture::kRoberta || architecture == Architecture::kXlmRoberta;
  }
  // Longest input the position table allows: 512 for RoBERTa's 514 positions.
  size_t max_sequence_length() const {
    if (!roberta_positions()) return max_position_embeddings;
    const size_t first = static_cast<size_t>(pad_token_id) + 1;
    return max_position_embeddings > first ? max_position_embeddings - first : 0;
  }
  size_t head_dim() const { return hidden_size / num_heads; }
};

// Parses and validates config.json text; `source` names the file in error messages.
Result<ModelConfig> parse_config(std::string_view json_text, const std::string& source);
Result<ModelConfig> load_config(const std::filesystem::path& model_dir);

// Number of parameters the architecture has for this config (for `verdict info`).
size_t parameter_count(const ModelConfig& config);

}  // namespace verdict::model
