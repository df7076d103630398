// API keys, compared in constant time: a request's key is hashed and compared with every
// configured key's hash with sodium_memcmp, so neither the content nor the length of a key
// leaks through timing.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "verdict/common/error.h"

namespace verdict::server {

class ApiKeys {
 public:
  explicit ApiKeys(const std::vector<std::string>& keys);
  bool enabled() const { return !hashes_.empty(); }
  bool accepts(std::string_view key) const;

 private:
  std::vector<std::array<unsigned char, 32>> hashes_;
};

// A key without the spaces, tabs and line ends around it (a file line, a secret written with
// `echo`); empty if there was nothing else.
std::string_view trim_key(std::string_view key);

// Keys from a file: one per line; blank lines and lines starting with '#' are skipped.
Result<std::vector<std::string>> read_api_key_file(const std::string& path);

}  // namespace verdict::server
