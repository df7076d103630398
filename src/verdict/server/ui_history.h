// What the console's "recent" panel shows (`verdict serve --ui-history N`): the last N
// classified texts with their top label, the last N alerts sent to webhooks, and per-minute label
// counts for the last hour. Memory only: nothing here is ever written to disk or logged, and it
// is all gone when the process ends. Off (records nothing) when N is 0. Thread-safe.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace verdict::server {

// Texts are kept up to this many bytes (cut on a character boundary): a bound on memory.
constexpr size_t kUiHistoryTextBytes = 1000;
// Minutes of label counts kept for the chart.
constexpr size_t kUiHistoryMinutes = 60;

class UiHistory {
 public:
  using Clock = std::chrono::system_clock;
  explicit UiHistory(size_t capacity);
  bool enabled() const { return capacity_ > 0; }

  // One classified text (`source`: the route) and its top label by the pipeline's default rule.
  void record(const std::string& source, const std::string& text, const std::string& label, float score,
              Clock::time_point when = Clock::now());
  // An alert queued to a webhook (`destination`: "discord alert", "integration webhook").
  void record_alert(const std::string& destination, const std::string& text, const std::string& label,
                    float score, const std::string& author, Clock::time_point when = Clock::now());

  // {"enabled", "capacity", "recent": [...newest first], "alerts": [...], "series": [{"time", "counts"}]}.
  // Times are Unix milliseconds; series minutes are oldest first.
  nlohmann::ordered_json snapshot(Clock::time_point now = Clock::now()) const;

 private:
  struct Item {
    int64_t time_ms;
    std::string source, text, label;
    float score;
    std::string author;  // alerts only
  };
  void trim_minutes(int64_t now_minute);

  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<Item> recent_;  // newest at the front
  std::deque<Item> alerts_;
  std::map<int64_t, std::map<std::string, size_t>> minutes_;  // minute since epoch -> label -> count
};

}  // namespace verdict::server
