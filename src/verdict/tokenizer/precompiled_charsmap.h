// SentencePiece's precompiled normalization map (the `precompiled_charsmap` of a .model file and
// of tokenizer.json's "Precompiled" normalizer), applied as the Rust tokenizers library does:
// a darts-clone double-array trie of UTF-8 keys whose values index a blob of NUL-terminated
// replacement strings, looked up per grapheme cluster.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/tokenizer/normalizer.h"

namespace verdict::tokenizer {

class PrecompiledCharsmap {
 public:
  // Layout: little-endian u32 trie size in bytes, the trie's u32 units, then the replacement
  // strings (valid UTF-8). Errors (kCorruptModel, without a file name: the caller adds it) for a
  // blob that is truncated, has an empty trie or replacements that are not UTF-8.
  static Result<PrecompiledCharsmap> parse(std::string_view blob);

  // The replacement of the *shortest* key that is a prefix of `chunk`, as the Rust crate
  // spm_precompiled returns it (its `results[0]`), or nullopt. A lookup that would leave the
  // trie or the string blob (a corrupt map) finds nothing instead of failing.
  std::optional<std::string_view> transform(std::string_view chunk) const;

  // Rust's Precompiled normalizer on `s` (valid UTF-8): per grapheme cluster, the whole cluster
  // when it is under 6 bytes and has an entry, else code point by code point. Alignments follow
  // NormalizedString::transform, quirks included; `base` is the original offset of s's start.
  void normalize(NormalizedString* s, uint32_t base) const;

  size_t trie_units() const { return trie_.size(); }

 private:
  std::vector<uint32_t> trie_;
  std::string replacements_;
};

// A replacement char and its change in char count, as Rust's NormalizedString::transform takes
// them: 0 replaces the next original char, 1 is inserted, -n replaces it and removes n more.
struct CharChange {
  char32_t cp;
  int64_t change;
};

// Rust's NormalizedString::transform over the whole of `s` with initial_offset 0.
void apply_changes(const std::vector<CharChange>& changes, uint32_t base, NormalizedString* s);

}  // namespace verdict::tokenizer
