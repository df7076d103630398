#include "verdict/tokenizer/vocab.h"

#include <algorithm>

namespace verdict::tokenizer {

void Vocab::add(std::string token, int32_t id) {
  if (id < 0) return;
  id_limit_ = std::max(id_limit_, static_cast<size_t>(id) + 1);
  tokens_.insert_or_assign(id, token);
  ids_.insert_or_assign(std::move(token), id);
}

const std::string& Vocab::token(int32_t id) const {
  static const std::string kEmpty;
  const auto it = tokens_.find(id);
  return it == tokens_.end() ? kEmpty : it->second;
}

}  // namespace verdict::tokenizer
