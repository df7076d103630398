#include "verdict/net/download.h"

#include <curl/curl.h>

#include <chrono>
#include <cstdio>
#include <mutex>

#include "verdict/net/header_line.h"

namespace verdict::net {
namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;

struct Transfer {
  CURL* curl = nullptr;
  const DownloadCall* call = nullptr;
  DownloadReply* reply = nullptr;
  std::FILE* out = nullptr;
  bool write_error = false;
  uint64_t total = 0;
  std::chrono::steady_clock::time_point last_progress{};
};

bool is_success(long status) { return status == 200 || status == 206; }

size_t on_body(char* data, size_t size, size_t n, void* p) {
  auto* t = static_cast<Transfer*>(p);
  const size_t bytes = size * n;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (!is_success(status)) {
    auto& body = t->reply->body;
    if (body.size() < kMaxErrorBody) body.append(data, std::min(bytes, kMaxErrorBody - body.size()));
    return bytes;
  }
  if (!t->out) {
    // 206 continues the partial file; a 200 is the whole body, so the file starts over.
    const bool resume = status == 206 && t->call->offset > 0;
    t->out = std::fopen(t->call->file.c_str(), resume ? "ab" : "wb");
    if (!t->out) {
      t->write_error = true;
      return 0;
    }
    t->reply->file_size = resume ? t->call->offset : 0;
    curl_off_t length = -1;
    curl_easy_getinfo(t->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    t->total = length >= 0 ? t->reply->file_size + static_cast<uint64_t>(length) : 0;
  }
  if (std::fwrite(data, 1, bytes, t->out) != bytes) {
    t->write_error = true;
    return 0;
  }
  t->reply->file_size += bytes;
  const auto now = std::chrono::steady_clock::now();
  if (t->call->progress && now - t->last_progress > std::chrono::milliseconds(100)) {
    t->last_progress = now;
    t->call->progress(t->reply->file_size, t->total);
  }
  return bytes;
}

size_t on_header(char* data, size_t size, size_t n, void* p) {
  auto* reply = static_cast<DownloadReply*>(p);
  const std::string_view line(data, size * n);
  if (is_status_line(line)) reply->headers.clear();
  if (auto header = parse_header_line(line)) reply->headers.push_back(std::move(*header));
  return size * n;
}

}  // namespace

DownloadReply download(const DownloadCall& call) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  DownloadReply reply;
  reply.file_size = call.offset;
  CURL* curl = curl_easy_init();
  if (!curl) {
    reply.error = "libcurl could not start";
    return reply;
  }
  Transfer t{curl, &call, &reply};
  curl_slist* headers = nullptr;
  for (const auto& h : call.headers) headers = curl_slist_append(headers, h.c_str());
  const std::string range = std::to_string(call.offset) + "-";
  curl_easy_setopt(curl, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (call.offset > 0) curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "verdict");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 15'000L);
  // No overall deadline (weights are large); a transfer stalled for 60 s is given up and resumed.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply);
  const CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  if (char* location = nullptr; curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location) {
    reply.redirect_url = location;
  }
  if (t.out && std::fclose(t.out) != 0) t.write_error = true;
  if (t.write_error) {
    reply.error = "could not write " + call.file.string();
  } else if (rc != CURLE_OK) {
    reply.error = curl_easy_strerror(rc);
    reply.network_unreachable = reply.status == 0 && (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT ||
                                                      rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_OPERATION_TIMEDOUT);
  }
  if (call.progress && is_success(reply.status)) call.progress(reply.file_size, t.total);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return reply;
}

}  // namespace verdict::net
