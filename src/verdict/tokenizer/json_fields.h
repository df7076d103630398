// Typed access to the JSON files of a model folder, with errors that name the file and field.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/tokenizer/added_vocabulary.h"

namespace verdict::tokenizer {

// A parsed JSON object file; error() and type_error() name the file and the field.
struct JsonFile {
  std::filesystem::path path;
  nlohmann::json root;

  Error error(ErrorCode code, const std::string& field, const std::string& what) const {
    return make_error(code, path.string() + ": " + (field.empty() ? "" : "\"" + field + "\" ") + what);
  }
  Error type_error(const std::string& field, const char* expected, const nlohmann::json& found) const {
    return error(ErrorCode::kCorruptModel, field,
                 std::string("must be ") + expected + ", found " + found.type_name() + " " + found.dump());
  }
};

// The file parsed, nullopt when it does not exist, or an error naming it.
Result<std::optional<JsonFile>> read_json(const std::filesystem::path& path);
// Contents already in memory, parsed as the file `path` (named in errors); must be an object.
Result<JsonFile> parse_json(std::string_view text, const std::filesystem::path& path);

// Optional members: absent or null gives the fallback; a wrong type is an error naming `field`.
Result<bool> get_bool(const JsonFile& file, const nlohmann::json& obj, const char* key,
                      const std::string& field, bool fallback);
Result<std::optional<bool>> get_optional_bool(const JsonFile& file, const nlohmann::json& obj,
                                              const char* key, const std::string& field);
Result<std::string> get_string(const JsonFile& file, const nlohmann::json& obj, const char* key,
                               const std::string& field, const std::string& fallback);
Result<int64_t> get_int(const JsonFile& file, const nlohmann::json& obj, const char* key,
                        const std::string& field, int64_t fallback);

// An added token given as a string or as {"content": ..., "lstrip": ..., ...}; id is -1.
// `special` is the default of "special" (and "normalized" defaults to its negation).
Result<AddedToken> parse_added_token(const JsonFile& file, const nlohmann::json& value,
                                     const std::string& field, bool special);

// The "added_tokens" list of a tokenizer.json in file order (empty when absent or null), not yet
// deduplicated. A token without an id, or with a negative one, gets id -1 for the caller to
// number, unless `id_required` makes that an error.
Result<std::vector<AddedToken>> parse_added_token_list(const JsonFile& file, bool id_required);

}  // namespace verdict::tokenizer
