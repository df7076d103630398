#include "verdict/tokenizer/vocab.h"

namespace verdict::tokenizer {

void Vocab::add(std::string token, int32_t id) {
  if (id < 0) return;
  const auto index = static_cast<size_t>(id);
  if (index >= tokens_.size()) tokens_.resize(index + 1);
  tokens_[index] = token;
  ids_.insert_or_assign(std::move(token), id);
}

const std::string& Vocab::token(int32_t id) const {
  static const std::string kEmpty;
  if (id < 0 || static_cast<size_t>(id) >= tokens_.size()) return kEmpty;
  return tokens_[static_cast<size_t>(id)];
}

}  // namespace verdict::tokenizer
