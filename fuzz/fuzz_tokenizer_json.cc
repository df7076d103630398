// Bytes as a tokenizer.json, parsed in memory (parse_tokenizer_json). A file that loads must
// give a tokenizer that encodes fixed texts, and texts made of its own tokens, consistently
// (encoding_checks.h) under two folder configurations.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "encoding_checks.h"
#include "fuzz_util.h"
#include "verdict/tokenizer/folder_config.h"
#include "verdict/tokenizer/tokenizer_json.h"

namespace {

using verdict::tokenizer::FolderConfig;

std::vector<FolderConfig> configs() {
  FolderConfig plain;  // an absent tokenizer_config.json
  FolderConfig cased;  // what tokenizer_config.json can override
  cased.do_lower_case = false;
  cased.strip_accents_set = true;
  cased.tokenize_chinese_chars = false;
  verdict::tokenizer::AddedToken mask;
  mask.content = "[MASK]";
  mask.lstrip = true;
  cased.special[4] = mask;
  return {plain, cased};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<FolderConfig> kConfigs = configs();
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  for (const FolderConfig& config : kConfigs) {
    auto tok = verdict::tokenizer::parse_tokenizer_json(json, "fuzz/tokenizer.json", config);
    if (!tok.ok()) continue;
    verdict::fuzz::check_loaded_tokenizer(**tok);
  }
  return 0;
}
