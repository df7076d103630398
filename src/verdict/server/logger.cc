#include "verdict/server/logger.h"

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace verdict::server {
namespace {

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto t = std::chrono::system_clock::to_time_t(now);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(us));
  return buf;
}

// X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1, or W3C traceparent: 00-TRACE_ID-SPAN_ID-01.
bool hex_id(std::string_view s, size_t size) {
  return s.size() == size && s.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos &&
         s.find_first_not_of('0') != std::string_view::npos;  // all zeros is "no trace" in both formats
}

struct Trace {
  std::string trace;  // 32 hex digits
  std::string span;   // the span id as Cloud Logging takes it (decimal or 16 hex digits), or empty
  bool sampled = false;
};

// X-Cloud-Trace-Context: TRACE_ID[/SPAN_ID][;o=1], or W3C traceparent: 00-TRACE_ID-SPAN_ID-FLAGS.
// Anything malformed is no trace: the header is the client's, the trace field a link in the console.
std::optional<Trace> trace_of(const HttpRequest& r) {
  if (auto h = r.header("x-cloud-trace-context")) {
    const std::string_view v(*h);
    Trace t;
    t.trace = std::string(v.substr(0, std::min(v.find('/'), v.find(';'))));
    if (!hex_id(t.trace, 32)) return std::nullopt;
    if (const auto slash = v.find('/'); slash != std::string_view::npos) {
      const auto span = v.substr(slash + 1, v.find(';') == std::string_view::npos ? std::string_view::npos
                                                                                   : v.find(';') - slash - 1);
      if (!span.empty() && span.size() <= 20 && span.find_first_not_of("0123456789") == std::string_view::npos) {
        t.span = std::string(span);
      }
    }
    t.sampled = v.find(";o=1") != std::string_view::npos;
    return t;
  }
  if (auto h = r.header("traceparent")) {
    const std::string_view v(*h);
    if (v.size() != 55 || v.substr(0, 3) != "00-" || v[35] != '-' || v[52] != '-') return std::nullopt;
    Trace t;
    t.trace = std::string(v.substr(3, 32));
    const auto flags = v.substr(53, 2);
    if (!hex_id(t.trace, 32) || !hex_id(v.substr(36, 16), 16) ||
        flags.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
      return std::nullopt;
    }
    t.span = std::string(v.substr(36, 16));
    t.sampled = (std::stoi(std::string(flags), nullptr, 16) & 1) != 0;
    return t;
  }
  return std::nullopt;
}

std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

}  // namespace

Logger::Logger(LogFormat format, std::string gcp_project) : format_(format), gcp_project_(std::move(gcp_project)) {}

void Logger::set_gcp_project(std::string project) {
  std::lock_guard lock(project_mu_);
  gcp_project_ = std::move(project);
}

std::string Logger::gcp_project() const {
  std::lock_guard lock(project_mu_);
  return gcp_project_;
}

// One record, one line: control characters a client put in a path or text (a decoded %0a) are
// written as \xNN, so no one can forge a log line. JSON lines never hold any.
namespace {
std::string one_line(const std::string& line) {
  std::string out;
  out.reserve(line.size());
  for (const char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char esc[5];
      std::snprintf(esc, sizeof esc, "\\x%02x", u);
      out += esc;
    } else {
      out += c;
    }
  }
  return out;
}
}  // namespace

void Logger::write(const std::string& raw) {
  const std::string line = one_line(raw);
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void Logger::log(const char* severity, const std::string& message) {
  if (format_ == LogFormat::kText) {
    write(timestamp() + " " + severity + " " + message);
    return;
  }
  write(dump({{"severity", severity}, {"message", message}, {"time", timestamp()}}));
}

void Logger::request(const HttpRequest& r, int status, double latency, const std::string& request_id,
                     const std::string& detail) {
  const char* severity = status >= 500 ? "ERROR" : status >= 400 ? "WARNING" : "INFO";
  // The path only: the query may carry api_key= and review= (the original service's route).
  std::string message = r.method + " " + r.path + " " + std::to_string(status);
  if (!detail.empty()) message += " " + detail;
  const std::string user_agent = r.header("user-agent").value_or("");
  if (format_ == LogFormat::kText) {
    char lat[32];
    std::snprintf(lat, sizeof lat, "%.3fms", latency * 1000);
    write(timestamp() + " " + severity + " " + message + " " + lat + " " + r.remote_ip + " id=" + request_id);
    return;
  }
  char lat[32];
  std::snprintf(lat, sizeof lat, "%.6fs", latency);
  nlohmann::json j = {
      {"severity", severity},
      {"message", message},
      {"time", timestamp()},
      {"httpRequest",
       {{"requestMethod", r.method},
        {"requestUrl", r.path},
        {"status", status},
        {"latency", lat},
        {"remoteIp", r.remote_ip},
        {"userAgent", user_agent},
        {"requestSize", std::to_string(r.body.size())}}},
      {"request_id", request_id},
  };
  if (const auto t = trace_of(r)) {
    const std::string project = gcp_project();
    j["logging.googleapis.com/trace"] = project.empty() ? t->trace : "projects/" + project + "/traces/" + t->trace;
    if (!t->span.empty()) j["logging.googleapis.com/spanId"] = t->span;
    j["logging.googleapis.com/trace_sampled"] = t->sampled;
  }
  write(dump(j));
}

}  // namespace verdict::server
