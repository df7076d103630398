// Outgoing HTTP with libcurl: one blocking request, for webhooks and the Discord/Hub APIs.
// URLs may hold secrets (webhook tokens): errors never repeat the URL.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "verdict/common/error.h"

namespace verdict::net {

struct HttpReply {
  long status = 0;
  std::string body;  // at most 1 MiB is kept
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string header(const std::string& lower_name) const;
  std::string redirect_url;  // absolute Location of a 3xx (redirects are never followed here)
};

struct HttpCall {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::chrono::milliseconds timeout{10'000};
};

// True when both URLs have the same scheme, host and port: credentials may go from one to the other.
bool same_origin(const std::string& a, const std::string& b);

// kUnavailable when no HTTP answer came (DNS, refused, timeout): the message says which.
Result<HttpReply> perform(const HttpCall& call);

}  // namespace verdict::net
