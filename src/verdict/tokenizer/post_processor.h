// The post-processor template ([CLS] $A [SEP] / [CLS] $A [SEP] $B [SEP]) and the truncation
// that runs before it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace verdict::tokenizer {

// One piece of a template: a special token (one or more ids) or sequence A (0) / B (1).
struct TemplatePiece {
  int sequence = -1;         // 0 = $A, 1 = $B, -1 = special token
  std::vector<int32_t> ids;  // special token only
  std::vector<std::string> tokens;
  int32_t type_id = 0;
};

struct PostProcessor {
  std::vector<TemplatePiece> single;
  std::vector<TemplatePiece> pair;

  // "[CLS] $A [SEP]" and "[CLS] $A [SEP] $B:1 [SEP]:1" (BertProcessing, and BERT's template).
  static PostProcessor bert(const std::string& cls, int32_t cls_id, const std::string& sep, int32_t sep_id);
  // No post-processor: the sequences as they are, type ids 0 and 1.
  static PostProcessor none();

  // Number of ids the template adds (Rust's PostProcessor::added_tokens).
  size_t added_tokens(bool is_pair) const;
};

// Lengths to keep of a sequence of `len_a` tokens and an optional pair of `len_b` tokens so
// that they fit `max_length` (special tokens already subtracted), as Rust's truncate_encodings
// does with strategy longest_first.
std::pair<size_t, size_t> truncated_lengths(size_t len_a, std::optional<size_t> len_b, size_t max_length);

}  // namespace verdict::tokenizer
