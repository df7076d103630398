// BertNormalizer of the Rust tokenizers library, keeping for every normalized byte the byte
// range of the original character it came from, so tokens can point back into the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verdict/tokenizer/tokenizer.h"

namespace verdict::tokenizer {

// Normalized text plus, for each of its bytes, the original byte range of its source char.
struct NormalizedString {
  std::string text;
  std::vector<Offset> alignments;  // alignments.size() == text.size()

  bool empty() const { return text.empty(); }
  void clear() {
    text.clear();
    alignments.clear();
  }
  // Original byte range of the normalized bytes [begin, end) (end > begin), as Rust's
  // convert_offsets does: start of the first byte's source, end of the last byte's source.
  Offset original_range(size_t begin, size_t end) const {
    return Offset{alignments[begin].begin, alignments[end - 1].end};
  }
};

struct BertNormalizerOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  std::optional<bool> strip_accents;  // nullopt: follow `lowercase`, as Rust does
  bool lowercase = true;
  bool operator==(const BertNormalizerOptions&) const = default;
};

// Either BertNormalizer or, when constructed without options, no normalization at all
// (tokenizer.json with "normalizer": null).
class Normalizer {
 public:
  Normalizer() = default;
  explicit Normalizer(const BertNormalizerOptions& options) : options_(options), enabled_(true) {}

  // Normalizes `text` (valid UTF-8) into *out; alignments are `base` + byte offsets in `text`.
  // Steps in Rust's order: clean text, pad CJK, strip accents (NFD, drop Mn), lowercase.
  void normalize(std::string_view text, uint32_t base, NormalizedString* out) const;

  bool enabled() const { return enabled_; }
  const BertNormalizerOptions& options() const { return options_; }

 private:
  BertNormalizerOptions options_;
  bool enabled_ = false;
};

}  // namespace verdict::tokenizer
