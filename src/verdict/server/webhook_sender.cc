#include "verdict/server/webhook_sender.h"

#include <curl/curl.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace verdict::server {
namespace {

size_t collect(char* data, size_t size, size_t n, void* out) {
  auto* s = static_cast<std::string*>(out);
  if (s->size() < 64 * 1024) s->append(data, size * n);
  return size * n;
}

size_t collect_header(char* data, size_t size, size_t n, void* out) {
  std::string line(data, size * n);
  std::string lower = line;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.rfind("retry-after:", 0) == 0) *static_cast<std::string*>(out) = line.substr(12);
  return size * n;
}

// Seconds to wait from a 429: Discord's JSON retry_after, else the Retry-After header.
std::chrono::milliseconds retry_after(const std::string& body, const std::string& header) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("retry_after") && j["retry_after"].is_number()) {
    return std::chrono::milliseconds(static_cast<long long>(std::ceil(j["retry_after"].get<double>() * 1000)));
  }
  try {
    return std::chrono::milliseconds(static_cast<long long>(std::stod(header) * 1000));
  } catch (...) {
    return std::chrono::milliseconds(-1);
  }
}

}  // namespace

WebhookSender::WebhookSender(WebhookPolicy policy, Report report)
    : policy_(policy), report_(std::move(report)) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  thread_ = std::thread([this] { run(); });
}

WebhookSender::~WebhookSender() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool WebhookSender::post(const std::string& name, const std::string& url, std::string json_body) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() < policy_.max_queue) {
      queue_.push_back({name, url, std::move(json_body)});
      cv_.notify_one();
      return true;
    }
  }
  report_(false, name + ": dropped, " + std::to_string(policy_.max_queue) + " deliveries already queued");
  return false;
}

bool WebhookSender::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [&] { return queue_.empty() && !busy_; });
}

void WebhookSender::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    deliver(job);
    {
      std::lock_guard lock(mu_);
      busy_ = false;
    }
    idle_cv_.notify_all();
  }
}

void WebhookSender::deliver(const Job& job) {
  CURL* curl = curl_easy_init();
  if (!curl) return report_(false, job.name + ": libcurl could not start");
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  auto backoff = policy_.first_backoff;
  std::string outcome;
  for (size_t attempt = 1; attempt <= policy_.max_attempts; ++attempt) {
    std::string body, retry_header;
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, job.url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, job.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(job.body.size()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(policy_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "verdict");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &retry_header);
    const CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_OK && status >= 200 && status < 300) {
      report_(true, job.name + ": delivered (HTTP " + std::to_string(status) + ", attempt " + std::to_string(attempt) + ")");
      curl_slist_free_all(headers);
      curl_easy_cleanup(curl);
      return;
    }
    outcome = rc != CURLE_OK ? std::string(curl_easy_strerror(rc)) : "HTTP " + std::to_string(status);
    const bool retryable = rc != CURLE_OK || status == 429 || status >= 500;
    if (!retryable || attempt == policy_.max_attempts) break;
    auto wait = backoff;
    if (status == 429) {
      if (const auto ra = retry_after(body, retry_header); ra.count() >= 0) wait = ra;
    }
    wait = std::min(wait, policy_.max_backoff);
    backoff = std::min(backoff * 2, policy_.max_backoff);
    std::unique_lock lock(mu_);
    // On shutdown there is no time for back-off: each queued delivery gets its one attempt.
    if (cv_.wait_for(lock, wait, [&] { return stopping_; })) break;
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  report_(false, job.name + ": not delivered (" + outcome + ")");
}

}  // namespace verdict::server
