#include "verdict/server/ui_history.h"

namespace verdict::server {
namespace {

int64_t unix_ms(UiHistory::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string cut(const std::string& text) {
  if (text.size() <= kUiHistoryTextBytes) return text;
  size_t n = kUiHistoryTextBytes;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;  // not inside a character
  return text.substr(0, n) + "…";
}

}  // namespace

UiHistory::UiHistory(size_t capacity) : capacity_(capacity) {}

void UiHistory::trim_minutes(int64_t now_minute) {
  while (!minutes_.empty() &&
         minutes_.begin()->first <= now_minute - static_cast<int64_t>(kUiHistoryMinutes)) {
    minutes_.erase(minutes_.begin());
  }
}

void UiHistory::record(const std::string& source, const std::string& text, const std::string& label,
                       float score, Clock::time_point when) {
  if (!enabled()) return;
  const int64_t ms = unix_ms(when);
  std::lock_guard lock(mu_);
  recent_.push_front({ms, source, cut(text), label, score, {}});
  if (recent_.size() > capacity_) recent_.pop_back();
  ++minutes_[ms / 60000][label];
  trim_minutes(ms / 60000);
}

void UiHistory::record_alert(const std::string& destination, const std::string& text,
                             const std::string& label, float score, const std::string& author,
                             Clock::time_point when) {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  alerts_.push_front({unix_ms(when), destination, cut(text), label, score, author});
  if (alerts_.size() > capacity_) alerts_.pop_back();
}

nlohmann::ordered_json UiHistory::snapshot(Clock::time_point now) const {
  using nlohmann::ordered_json;
  ordered_json recent = ordered_json::array(), alerts = ordered_json::array(), series = ordered_json::array();
  std::lock_guard lock(mu_);
  for (const auto& i : recent_) {
    recent.push_back({{"time", i.time_ms},
                      {"source", i.source},
                      {"text", i.text},
                      {"label", i.label},
                      {"score", i.score}});
  }
  for (const auto& a : alerts_) {
    alerts.push_back({{"time", a.time_ms},
                      {"destination", a.source},
                      {"text", a.text},
                      {"label", a.label},
                      {"score", a.score},
                      {"author", a.author}});
  }
  const int64_t oldest = unix_ms(now) / 60000 - static_cast<int64_t>(kUiHistoryMinutes);
  for (const auto& [minute, counts] : minutes_) {
    if (minute <= oldest) continue;
    ordered_json c = ordered_json::object();
    for (const auto& [label, n] : counts) c[label] = n;
    series.push_back({{"time", minute * 60000}, {"counts", c}});
  }
  return {{"enabled", enabled()},
          {"capacity", capacity_},
          {"recent", recent},
          {"alerts", alerts},
          {"series", series}};
}

}  // namespace verdict::server
