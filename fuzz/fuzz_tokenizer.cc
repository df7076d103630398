// Arbitrary bytes (invalid UTF-8 included) through the BERT tokenizers of two golden folders:
// vocab.txt + tokenizer_config.json (distilbert-sst2-tiny, or $VERDICT_FUZZ_MODEL) and
// tokenizer.json only (distilbert-odd-dims, or $VERDICT_FUZZ_MODEL_JSON). The input is encoded
// as one text and, when it holds a 0x00 byte, as the pair split there; each untruncated,
// truncated at 512 and at a tiny max_length (0..7, from the first byte).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "encoding_checks.h"
#include "fuzz_util.h"

namespace {

using verdict::tokenizer::Tokenizer;

std::unique_ptr<Tokenizer> load(const char* env_var, const char* default_name) {
  const auto dir = verdict::fuzz::model_dir(env_var, default_name);
  auto tok = verdict::tokenizer::load_tokenizer(dir);
  verdict::fuzz::check(tok.ok(), dir.string() + ": " + (tok.ok() ? "" : tok.error().message));
  return std::move(tok).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Loaded once: the tokenizers are immutable, and loading dominates an encode.
  static const std::unique_ptr<Tokenizer> kTokenizers[] = {
      load("VERDICT_FUZZ_MODEL", "distilbert-sst2-tiny"),
      load("VERDICT_FUZZ_MODEL_JSON", "distilbert-odd-dims"),
  };
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t tiny = size > 0 ? data[0] % 8 : 0;
  const size_t nul = input.find('\0');
  for (const auto& tok : kTokenizers) {
    verdict::fuzz::check_encodings(*tok, input, std::nullopt, tiny);
    if (nul != std::string_view::npos) {
      verdict::fuzz::check_encodings(*tok, input.substr(0, nul), input.substr(nul + 1), tiny);
    }
  }
  return 0;
}
