#include "verdict/model/batch.h"

namespace verdict::model {

void Batch::add(std::span<const int32_t> ids, std::span<const int32_t> type_ids) {
  const bool had_types = !token_type_ids.empty();
  if (!type_ids.empty() && !had_types) token_type_ids.assign(input_ids.size(), 0);
  input_ids.insert(input_ids.end(), ids.begin(), ids.end());
  if (!type_ids.empty()) {
    token_type_ids.insert(token_type_ids.end(), type_ids.begin(), type_ids.end());
    token_type_ids.resize(input_ids.size(), 0);
  } else if (had_types) {
    token_type_ids.resize(input_ids.size(), 0);
  }
  cu_seq_lengths.push_back(static_cast<uint32_t>(input_ids.size()));
}

void Batch::clear() {
  input_ids.clear();
  token_type_ids.clear();
  cu_seq_lengths.assign(1, 0);
}

}  // namespace verdict::model
