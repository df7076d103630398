#include "verdict/tokenizer/folder_config.h"

#include <cmath>
#include <exception>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

#include "verdict/tokenizer/json_fields.h"
#include "verdict/tokenizer/vocab.h"

namespace verdict::tokenizer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// transformers writes int(1e30) ("VERY_LARGE_INTEGER") when a model sets no limit.
constexpr double kUnsetMaxLength = 1e6;

Status read_special_tokens(const JsonFile& file, FolderConfig* config) {
  for (int i = 0; i < 5; ++i) {
    const auto it = file.root.find(kSpecialKeys[i]);
    if (it == file.root.end() || it->is_null()) continue;
    auto token = parse_added_token(file, *it, kSpecialKeys[i], true);
    if (!token.ok()) return token.error();
    config->special[i] = std::move(*token);
  }
  if (const auto it = file.root.find("additional_special_tokens"); it != file.root.end() && !it->is_null()) {
    if (!it->is_array()) return file.type_error("additional_special_tokens", "a list", *it);
    for (size_t i = 0; i < it->size(); ++i) {
      auto token =
          parse_added_token(file, (*it)[i], "additional_special_tokens[" + std::to_string(i) + "]", true);
      if (!token.ok()) return token.error();
      config->extra_tokens.push_back(std::move(*token));
    }
  }
  return {};
}

}  // namespace

Result<FolderConfig> read_folder_config(const fs::path& dir) {
  FolderConfig config;
  auto tokenizer_config = read_json(dir / "tokenizer_config.json");
  if (!tokenizer_config.ok()) return tokenizer_config.error();
  if (const auto& file = *tokenizer_config) {
    const json& root = file->root;
    auto lower = get_optional_bool(*file, root, "do_lower_case", "do_lower_case");
    auto strip = get_optional_bool(*file, root, "strip_accents", "strip_accents");
    auto chinese = get_optional_bool(*file, root, "tokenize_chinese_chars", "tokenize_chinese_chars");
    if (!lower.ok()) return lower.error();
    if (!strip.ok()) return strip.error();
    if (!chinese.ok()) return chinese.error();
    config.do_lower_case = *lower;
    config.strip_accents = *strip;
    config.strip_accents_set = root.contains("strip_accents");
    config.tokenize_chinese_chars = *chinese;
    if (const auto it = root.find("model_max_length"); it != root.end() && !it->is_null()) {
      // Big integers (int(1e30)) arrive as floats; anything above 1e6 means "no limit set".
      if (!it->is_number()) return file->type_error("model_max_length", "a number", *it);
      const double value = it->get<double>();
      if (std::isfinite(value) && value >= 1 && value <= kUnsetMaxLength) {
        config.model_max_length = static_cast<size_t>(value);
      }
    }
    if (auto status = read_special_tokens(*file, &config); !status.ok()) return status.error();
    if (const auto it = root.find("added_tokens_decoder"); it != root.end() && !it->is_null()) {
      if (!it->is_object()) return file->type_error("added_tokens_decoder", "an object", *it);
      for (const auto& [key, value] : it->items()) {
        const std::string field = "added_tokens_decoder." + key;
        auto token = parse_added_token(*file, value, field, false);
        if (!token.ok()) return token.error();
        try {
          size_t used = 0;
          token->id = std::stoi(key, &used);
          if (used != key.size() || token->id < 0 || token->id >= kTokenIdLimit) {
            throw std::invalid_argument(key);
          }
        } catch (const std::exception&) {
          return file->error(ErrorCode::kCorruptModel, field, "is not keyed by a token id");
        }
        config.extra_tokens.push_back(std::move(*token));
      }
    }
  }
  // special_tokens_map.json wins over tokenizer_config.json, as in transformers.
  auto special_map = read_json(dir / "special_tokens_map.json");
  if (!special_map.ok()) return special_map.error();
  if (const auto& file = *special_map) {
    if (auto status = read_special_tokens(*file, &config); !status.ok()) return status.error();
  }
  auto added_tokens = read_json(dir / "added_tokens.json");
  if (!added_tokens.ok()) return added_tokens.error();
  if (const auto& file = *added_tokens) {
    for (const auto& [content, id] : file->root.items()) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= kTokenIdLimit)
        return file->type_error(content, "a token id below 2^30", id);
      AddedToken token;
      token.content = content;
      token.id = static_cast<int32_t>(id.get<int64_t>());
      token.special = false;
      token.normalized = true;
      config.extra_tokens.push_back(std::move(token));
    }
  }
  return config;
}

std::string special_content(const FolderConfig& config, int index) {
  return config.special[index] ? config.special[index]->content : kSpecialDefaults[index];
}

}  // namespace verdict::tokenizer
