// The Metaspace pre-tokenizer of the Rust tokenizers library: spaces become the replacement
// char (▁), a ▁ is prepended, and the text is split before each ▁ (merged with what follows).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "verdict/tokenizer/normalizer.h"
#include "verdict/tokenizer/pre_tokenizer.h"

namespace verdict::tokenizer {

struct MetaspaceOptions {
  enum class Prepend { kAlways, kFirst, kNever };
  std::string replacement = "\xE2\x96\x81";  // one char, U+2581 by default
  Prepend prepend = Prepend::kAlways;        // add_prefix_space / prepend_scheme
  bool split = true;
};

// Rewrites `s` (one piece of text between added tokens, normalized; `base` its original offset,
// which kFirst compares with 0) and appends its words, as byte ranges of the rewritten text.
void metaspace(const MetaspaceOptions& options, uint32_t base, NormalizedString* s,
               std::vector<WordSpan>* words);

}  // namespace verdict::tokenizer
