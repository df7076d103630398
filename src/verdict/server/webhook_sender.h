// Delivers JSON webhooks (Discord support-channel alerts, generic integrations) from one
// background thread with libcurl, so a slow or dead webhook never delays an HTTP answer.
// Retries 429 (honouring Retry-After / Discord's retry_after) and 5xx with back-off. The URLs
// hold secrets (webhook tokens): they are never logged.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace verdict::server {

struct WebhookPolicy {
  size_t max_attempts = 5;
  std::chrono::milliseconds first_backoff{500};
  std::chrono::milliseconds max_backoff{30'000};
  std::chrono::milliseconds timeout{10'000};  // per attempt
  size_t max_queue = 1000;                    // beyond: dropped (and reported)
};

class WebhookSender {
 public:
  // `report(ok, description)` is told the fate of every delivery (for logs and metrics).
  using Report = std::function<void(bool delivered, const std::string& description)>;
  WebhookSender(WebhookPolicy policy, Report report);
  ~WebhookSender();  // gives each queued delivery one more attempt (no back-off), then stops
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Queues a POST of `json_body`; `name` names the webhook in reports ("discord alert").
  // Returns false (and reports) when the queue is full.
  bool post(const std::string& name, const std::string& url, std::string json_body);
  // Waits until the queue is empty and nothing is in flight, or the timeout passed.
  bool wait_idle(std::chrono::milliseconds timeout);

 private:
  struct Job {
    std::string name, url, body;
  };
  void run();
  void deliver(const Job& job);

  WebhookPolicy policy_;
  Report report_;
  std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<Job> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace verdict::server
