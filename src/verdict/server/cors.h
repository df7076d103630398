// --cors-allow-origin: '*' or a comma-separated list of origins, checked at start-up.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "verdict/common/error.h"

namespace verdict::server {

// The list's origins, blanks around each trimmed, empty items dropped.
std::vector<std::string> split_origins(std::string_view list);

// An error naming the first item that is not an origin: scheme://host[:port] with no path, as
// browsers send in Origin (a trailing slash would never match, silently).
Status check_cors_allow_origin(std::string_view setting);

}  // namespace verdict::server
