// Logs as Cloud Logging reads them (one JSON object a line on stdout, with severity,
// message, httpRequest and trace) or as plain text. Never logs API keys or query strings;
// review texts only when the operator asks for them.
#pragma once

#include <mutex>
#include <string>

#include "verdict/server/http_server.h"
#include "verdict/server/server_config.h"

namespace verdict::server {

class Logger {
 public:
  Logger(LogFormat format, std::string gcp_project);

  void info(const std::string& message) { log("INFO", message); }
  void warning(const std::string& message) { log("WARNING", message); }
  void error(const std::string& message) { log("ERROR", message); }
  void log(const char* severity, const std::string& message);
  // The project of trace fields, once known (read from the metadata server after start-up).
  void set_gcp_project(std::string project);

  // One line per request. `detail` (e.g. texts, when enabled) is appended to the message.
  void request(const HttpRequest& request, int status, double latency_seconds, const std::string& request_id,
               const std::string& detail);

 private:
  void write(const std::string& line);
  std::string gcp_project() const;
  LogFormat format_;
  mutable std::mutex project_mu_;
  std::string gcp_project_;  // guarded by project_mu_
  std::mutex mu_;
};

}  // namespace verdict::server
