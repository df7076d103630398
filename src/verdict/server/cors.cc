#include "verdict/server/cors.h"

#include <algorithm>
#include <cctype>

namespace verdict::server {

namespace {
bool blank(char c) { return c == ' ' || c == '\t'; }

bool is_origin(std::string_view s) {
  const auto sep = s.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  for (char c : s.substr(0, sep)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
  }
  const std::string_view host = s.substr(sep + 3);
  if (host.empty()) return false;
  for (char c : host) {
    if (c == '/' || c == '?' || c == '#' || blank(c) || static_cast<unsigned char>(c) < 0x21) return false;
  }
  return true;
}
}  // namespace

std::vector<std::string> split_origins(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    auto item = list.substr(0, list.find(','));
    list.remove_prefix(std::min(list.size(), item.size() + 1));
    while (!item.empty() && blank(item.front())) item.remove_prefix(1);
    while (!item.empty() && blank(item.back())) item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

Status check_cors_allow_origin(std::string_view setting) {
  const auto origins = split_origins(setting);
  if (origins.size() == 1 && origins[0] == "*") return {};
  for (const auto& origin : origins) {
    if (!is_origin(origin)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "--cors-allow-origin: '" + origin +
                            "' is not an origin: '*' or scheme://host[:port] with no path, e.g. https://shop.example");
    }
  }
  return {};
}

}  // namespace verdict::server
