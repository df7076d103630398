#include "verdict/server/api_keys.h"

#include <sodium.h>

#include <sstream>

#include "verdict/common/file_util.h"

namespace verdict::server {
namespace {

std::array<unsigned char, 32> hash_key(std::string_view key) {
  std::array<unsigned char, 32> out{};
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                     nullptr, 0);
  return out;
}

}  // namespace

ApiKeys::ApiKeys(const std::vector<std::string>& keys) {
  if (sodium_init() < 0) std::abort();  // libsodium cannot initialise: nothing is safe
  for (const auto& k : keys) {
    if (!k.empty()) hashes_.push_back(hash_key(k));
  }
}

bool ApiKeys::accepts(std::string_view key) const {
  const auto h = hash_key(key);
  bool ok = false;
  for (const auto& expected : hashes_) {
    ok |= sodium_memcmp(h.data(), expected.data(), h.size()) == 0;  // no early exit
  }
  return ok;
}

std::string_view trim_key(std::string_view key) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = key.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return key.substr(first, key.find_last_not_of(kSpace) - first + 1);
}

Result<std::vector<std::string>> read_api_key_file(const std::string& path) {
  auto text = read_file(path, 1 << 20);
  if (!text.ok()) return text.error();
  std::vector<std::string> keys;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    const std::string_view key = trim_key(line);
    if (key.empty() || key.front() == '#') continue;
    keys.emplace_back(key);
  }
  if (keys.empty()) return make_error(ErrorCode::kInvalidArgument, path + ": no API key in the file");
  return keys;
}

}  // namespace verdict::server
