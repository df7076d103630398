// Bytes as a tokenizer.json, parsed in memory (parse_tokenizer_json). A file that loads must
// give a tokenizer that encodes fixed texts, and texts made of its own tokens, consistently
// (encoding_checks.h) under two folder configurations.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "encoding_checks.h"
#include "fuzz_util.h"
#include "verdict/tokenizer/folder_config.h"
#include "verdict/tokenizer/tokenizer_json.h"

namespace {

using verdict::tokenizer::FolderConfig;

// Special tokens, accents, CJK, controls, a word past max_input_chars_per_word, a dotted I.
const std::string_view kTexts[] = {
    "Hello, my dog is cute",
    "[CLS] [MASK]ed [SEP][UNK] [PAD]",
    "H\xc3\xa9llo, w\xc3\xb6rld! \xe4\xbd\xa0\xe5\xa5\xbd e\xcc\x81\xcc\xa7 \xc4\xb0stanbul",
    " \t\r\n\x01\xef\xbf\xbd ",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aa",
    "",
};

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
    // The first tokens of the vocabulary, with and without spaces: added tokens and WordPiece
    // pieces as the file defines them.
    std::string spaced, glued;
    for (int32_t id = 0; id < 48 && static_cast<size_t>(id) < (*tok)->vocab_size(); ++id) {
      const std::string token = (*tok)->id_to_token(id);
      spaced += token + " ";
      glued += token;
    }
    for (const std::string_view text : kTexts) verdict::fuzz::check_encodings(**tok, text, std::nullopt, 3);
    verdict::fuzz::check_encodings(**tok, spaced, glued, 5);
    verdict::fuzz::check_encodings(**tok, glued, std::nullopt, 2);
  }
  return 0;
}
