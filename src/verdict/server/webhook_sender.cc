#include "verdict/server/webhook_sender.h"

#include "verdict/common/thread_name.h"
#include "verdict/net/http_client.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace verdict::server {
namespace {

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
  thread_ = std::thread([this] {
    name_this_thread("verdict-webhook");
    run();
  });
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
  const net::HttpCall call{"POST", job.url, {"Content-Type: application/json"}, job.body, policy_.timeout};
  auto backoff = policy_.first_backoff;
  std::string outcome;
  for (size_t attempt = 1; attempt <= policy_.max_attempts; ++attempt) {
    auto reply = net::perform(call);
    const long status = reply.ok() ? reply->status : 0;
    if (status >= 200 && status < 300) {
      return report_(true, job.name + ": delivered (HTTP " + std::to_string(status) + ", attempt " +
                               std::to_string(attempt) + ")");
    }
    outcome = reply.ok() ? "HTTP " + std::to_string(status) : reply.error().message;
    const bool retryable = !reply.ok() || status == 429 || status >= 500;
    if (!retryable || attempt == policy_.max_attempts) break;
    auto wait = backoff;
    if (status == 429) {
      if (const auto ra = retry_after(reply->body, reply->header("retry-after")); ra.count() >= 0) wait = ra;
    }
    wait = std::min(wait, policy_.max_backoff);
    backoff = std::min(backoff * 2, policy_.max_backoff);
    std::unique_lock lock(mu_);
    // On shutdown there is no time for back-off: each queued delivery gets its one attempt.
    if (cv_.wait_for(lock, wait, [&] { return stopping_; })) break;
  }
  report_(false, job.name + ": not delivered (" + outcome + ")");
}

}  // namespace verdict::server
