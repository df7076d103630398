// The normalizers a SentencePiece tokenizer.json uses, in sequence: "Precompiled" (the
// SentencePiece charsmap) and "Replace" (a literal, or a one-char regex repeated, such as the
// converters' " {2,}" → " "), with Rust's alignments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/tokenizer/normalizer.h"
#include "verdict/tokenizer/precompiled_charsmap.h"

namespace verdict::tokenizer {

// Replaces every leftmost, non-overlapping run of `min_repeat`..`max_repeat` copies of `unit`
// (greedy) with `content`. A literal pattern is one copy (1..1).
struct ReplaceRule {
  std::string unit;
  size_t min_repeat = 1;
  size_t max_repeat = 1;  // SIZE_MAX: unbounded
  std::string content;
};

// tokenizer.json's {"String": s} pattern.
ReplaceRule literal_replace(std::string pattern, std::string content);
// tokenizer.json's {"Regex": r} pattern, for the subset Verdict implements: a literal without
// regex metacharacters, or one char (possibly escaped) followed by `+`, `{n}`, `{n,}` or
// `{n,m}`. Errors: kUnsupported naming the pattern.
Result<ReplaceRule> regex_replace(std::string_view regex, std::string content);

// Rust's NormalizedString::replace: each match's replacement takes the alignment of the match's
// last byte.
void apply_replace(const ReplaceRule& rule, NormalizedString* s);

class SpmNormalizer {
 public:
  void add(PrecompiledCharsmap map) { steps_.emplace_back(std::move(map)); }
  void add(ReplaceRule rule) { steps_.emplace_back(std::move(rule)); }
  bool empty() const { return steps_.empty(); }

  // Normalizes `text` (valid UTF-8) into *out; alignments are `base` + byte offsets in `text`.
  void normalize(std::string_view text, uint32_t base, NormalizedString* out) const;

 private:
  std::vector<std::variant<PrecompiledCharsmap, ReplaceRule>> steps_;
};

}  // namespace verdict::tokenizer
