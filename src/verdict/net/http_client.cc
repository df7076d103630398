#include "verdict/net/http_client.h"

#include <curl/curl.h>

#include <mutex>

#include "verdict/net/header_line.h"

namespace verdict::net {
namespace {

constexpr size_t kMaxBody = 1 << 20;

size_t on_body(char* data, size_t size, size_t n, void* out) {
  auto* s = static_cast<std::string*>(out);
  if (s->size() < kMaxBody) s->append(data, std::min(size * n, kMaxBody - s->size()));
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* out) {
  auto* reply = static_cast<HttpReply*>(out);
  const std::string_view line(data, size * n);
  if (is_status_line(line)) reply->headers.clear();
  if (auto header = parse_header_line(line)) reply->headers.push_back(std::move(*header));
  return size * n;
}

}  // namespace

std::string HttpReply::header(const std::string& lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return "";
}

Result<HttpReply> perform(const HttpCall& call) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* curl = curl_easy_init();
  if (!curl) return make_error(ErrorCode::kInternal, "libcurl could not start");
  HttpReply reply;
  curl_slist* headers = nullptr;
  for (const auto& h : call.headers) headers = curl_slist_append(headers, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, call.url.c_str());
  if (call.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);  // no body is coming: do not wait for one
  else curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  if (!call.body.empty() || call.method == "POST" || call.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(call.body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(call.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "verdict");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply);
  const CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  if (char* location = nullptr; curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location) {
    reply.redirect_url = location;
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) return make_error(ErrorCode::kUnavailable, curl_easy_strerror(rc));
  return reply;
}

bool same_origin(const std::string& a, const std::string& b) {
  auto origin = [](const std::string& url) -> std::string {
    CURLU* u = curl_url();
    std::string out;
    if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
      char *scheme = nullptr, *host = nullptr, *port = nullptr;
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
      curl_url_get(u, CURLUPART_HOST, &host, 0);
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
      if (scheme && host && port) out = std::string(scheme) + "://" + host + ":" + port;
      for (char* p : {scheme, host, port}) curl_free(p);
    }
    curl_url_cleanup(u);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  const std::string oa = origin(a);
  return !oa.empty() && oa == origin(b);
}

}  // namespace verdict::net
