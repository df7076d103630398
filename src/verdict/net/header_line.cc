#include "verdict/net/header_line.h"

#include <cctype>

namespace verdict::net {

namespace {
bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
}  // namespace

std::optional<std::pair<std::string, std::string>> parse_header_line(std::string_view line) {
  if (is_status_line(line)) return std::nullopt;
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && blank(value.front())) value.remove_prefix(1);
  while (!value.empty() && blank(value.back())) value.remove_suffix(1);
  return std::pair{std::move(name), std::string(value)};
}

bool is_status_line(std::string_view line) { return line.substr(0, 5) == "HTTP/"; }

}  // namespace verdict::net
