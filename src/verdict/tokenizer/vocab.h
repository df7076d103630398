// Token string <-> id tables, looked up by string_view without building strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace verdict::tokenizer {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// Token ids read from files are below this: far above any real vocabulary (the largest have
// ~250k tokens), and far enough below INT32_MAX that numbering added tokens after them cannot
// overflow.
inline constexpr int64_t kTokenIdLimit = int64_t{1} << 30;

class Vocab {
 public:
  // Later duplicates of a token win, as in Python's dict built from vocab.txt. Ids may be
  // sparse: memory follows the number of tokens, not the largest id.
  void add(std::string token, int32_t id);
  std::optional<int32_t> find(std::string_view token) const {
    const auto it = ids_.find(token);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  // Empty for ids that name no token.
  const std::string& token(int32_t id) const;
  size_t size() const { return ids_.size(); }
  // One past the largest id.
  size_t id_limit() const { return id_limit_; }

 private:
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> ids_;
  std::unordered_map<int32_t, std::string> tokens_;  // by id
  size_t id_limit_ = 0;
};

}  // namespace verdict::tokenizer
