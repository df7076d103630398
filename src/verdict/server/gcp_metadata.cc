#include "verdict/server/gcp_metadata.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "verdict/net/http_client.h"

namespace verdict::server {
namespace {

// Project ids are 6-30 lower-case letters, digits and hyphens; older ones may carry a domain
// ("example.com:project"). Anything else (an HTML error page, a proxy's answer) is not one.
bool looks_like_project_id(const std::string& s) {
  return !s.empty() && s.size() <= 100 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::islower(c) || std::isdigit(c) || c == '-' || c == '.' || c == ':';
  });
}

}  // namespace

std::string project_from_metadata_server(std::chrono::milliseconds timeout) {
  const char* host = std::getenv("GCE_METADATA_HOST");
  net::HttpCall call;
  call.url = std::string("http://") + (host && *host ? host : "metadata.google.internal") +
             "/computeMetadata/v1/project/project-id";
  call.headers = {"Metadata-Flavor: Google"};
  call.timeout = timeout;
  auto reply = net::perform(call);
  if (!reply.ok() || reply->status != 200 || reply->header("metadata-flavor") != "Google") return "";
  std::string id = reply->body;
  while (!id.empty() && std::isspace(static_cast<unsigned char>(id.back()))) id.pop_back();
  return looks_like_project_id(id) ? id : "";
}

bool on_cloud_run() {
  const char* service = std::getenv("K_SERVICE");
  return service && *service;
}

}  // namespace verdict::server
