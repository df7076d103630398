// A batch as the model sees it: sequences back to back, never padded (TEI's backend seam).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace verdict::model {

struct Batch {
  std::vector<int32_t> input_ids;        // every sequence's ids, concatenated
  std::vector<int32_t> token_type_ids;   // same length as input_ids, or empty (all zero)
  std::vector<uint32_t> cu_seq_lengths{0};  // size() + 1 entries: sequence b is [cu[b], cu[b+1])

  size_t size() const { return cu_seq_lengths.size() - 1; }
  size_t num_tokens() const { return input_ids.size(); }
  size_t seq_len(size_t b) const { return cu_seq_lengths[b + 1] - cu_seq_lengths[b]; }

  // type_ids may be empty (all zero).
  void add(std::span<const int32_t> ids, std::span<const int32_t> type_ids = {});
  void clear();
};

}  // namespace verdict::model
