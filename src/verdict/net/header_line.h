// One line of an HTTP answer's head as libcurl hands it to a header callback.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace verdict::net {

// "Name: value\r\n" -> {"name", "value"}: name lower-cased, value without surrounding blanks.
// nullopt for the status line, the blank line that ends the head and anything without a colon.
std::optional<std::pair<std::string, std::string>> parse_header_line(std::string_view line);

// "HTTP/1.1 200 OK": libcurl hands over the head of every answer it reads (a 100 Continue, then
// the real one), so a caller keeps only the headers after the last status line.
bool is_status_line(std::string_view line);

}  // namespace verdict::net
