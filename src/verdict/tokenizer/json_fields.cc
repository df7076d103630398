#include "verdict/tokenizer/json_fields.h"

#include <algorithm>
#include <system_error>
#include <utility>

#include "verdict/common/file_util.h"
#include "verdict/tokenizer/vocab.h"

namespace verdict::tokenizer {

namespace fs = std::filesystem;
using nlohmann::json;

Result<std::optional<JsonFile>> read_json(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::optional<JsonFile>();
  auto text = read_file(path);
  if (!text.ok()) return text.error();
  auto file = parse_json(*text, path);
  if (!file.ok()) return file.error();
  return std::optional<JsonFile>(std::move(file).value());
}

Result<JsonFile> parse_json(std::string_view text, const fs::path& path) {
  JsonFile file{path, {}};
  try {
    file.root = json::parse(text);
  } catch (const json::exception& e) {
    return make_error(ErrorCode::kCorruptModel, path.string() + ": not valid JSON: " + e.what());
  }
  if (!file.root.is_object()) {
    return make_error(ErrorCode::kCorruptModel, path.string() + ": expected a JSON object, found " +
                                                    std::string(file.root.type_name()));
  }
  return file;
}

Result<bool> get_bool(const JsonFile& file, const json& obj, const char* key, const std::string& field,
                      bool fallback) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) return file.type_error(field, "true or false", *it);
  return it->get<bool>();
}

Result<std::optional<bool>> get_optional_bool(const JsonFile& file, const json& obj, const char* key,
                                              const std::string& field) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) return file.type_error(field, "true, false or null", *it);
  return std::optional<bool>(it->get<bool>());
}

Result<std::string> get_string(const JsonFile& file, const json& obj, const char* key,
                               const std::string& field, const std::string& fallback) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_string()) return file.type_error(field, "a string", *it);
  return it->get<std::string>();
}

Result<int64_t> get_int(const JsonFile& file, const json& obj, const char* key, const std::string& field,
                        int64_t fallback) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) return file.type_error(field, "an integer", *it);
  return it->get<int64_t>();
}

Result<AddedToken> parse_added_token(const JsonFile& file, const json& value, const std::string& field,
                                     bool special) {
  AddedToken token;
  token.id = -1;
  token.special = special;
  token.normalized = !special;
  if (value.is_string()) {
    token.content = value.get<std::string>();
    return token;
  }
  if (!value.is_object()) return file.type_error(field, "a string or an object with \"content\"", value);
  auto content = get_string(file, value, "content", field + ".content", "");
  if (!content.ok()) return content.error();
  if (content->empty()) return file.error(ErrorCode::kCorruptModel, field, "has no \"content\"");
  token.content = std::move(*content);
  auto single_word = get_bool(file, value, "single_word", field + ".single_word", false);
  auto lstrip = get_bool(file, value, "lstrip", field + ".lstrip", false);
  auto rstrip = get_bool(file, value, "rstrip", field + ".rstrip", false);
  auto is_special = get_bool(file, value, "special", field + ".special", special);
  if (!single_word.ok()) return single_word.error();
  if (!lstrip.ok()) return lstrip.error();
  if (!rstrip.ok()) return rstrip.error();
  if (!is_special.ok()) return is_special.error();
  auto normalized = get_bool(file, value, "normalized", field + ".normalized", !*is_special);
  if (!normalized.ok()) return normalized.error();
  token.single_word = *single_word;
  token.lstrip = *lstrip;
  token.rstrip = *rstrip;
  token.special = *is_special;
  token.normalized = *normalized;
  return token;
}

Result<std::vector<AddedToken>> parse_added_token_list(const JsonFile& file, bool id_required) {
  std::vector<AddedToken> tokens;
  const auto it = file.root.find("added_tokens");
  if (it == file.root.end() || it->is_null()) return tokens;
  if (!it->is_array()) return file.type_error("added_tokens", "a list", *it);
  tokens.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    const json& entry = (*it)[i];
    const std::string field = "added_tokens[" + std::to_string(i) + "]";
    if (!entry.is_object()) return file.type_error(field, "an object", entry);
    auto special = get_bool(file, entry, "special", field + ".special", false);
    if (!special.ok()) return special.error();
    auto token = parse_added_token(file, entry, field, *special);
    if (!token.ok()) return token.error();
    auto id = get_int(file, entry, "id", field + ".id", -1);
    if (!id.ok()) return id.error();
    if (*id >= kTokenIdLimit || (id_required && *id < 0))
      return file.type_error(field + ".id", "a token id below 2^30", entry.contains("id") ? entry.at("id") : json());
    token->id = static_cast<int32_t>(std::max<int64_t>(*id, -1));
    tokens.push_back(std::move(*token));
  }
  return tokens;
}

// What tokenizer_config.json, special_tokens_map.json and added_tokens.json say.

}  // namespace verdict::tokenizer
