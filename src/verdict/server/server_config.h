// Every knob of `verdict serve`, with its default. Each has a flag and a VERDICT_* variable.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "verdict/runtime/batcher.h"
#include "verdict/runtime/result_cache.h"
#include "verdict/server/http_server.h"

namespace verdict::server {

enum class LogFormat { kJson, kText };

// Discord interactions (POST /discord/interactions), enabled by a public key.
struct DiscordConfig {
  std::string public_key_hex;                 // the application's Ed25519 public key; empty: off
  std::chrono::seconds max_clock_skew{300};   // older (or newer) signed timestamps are replays: 401
  float negative_threshold = 0.9f;            // NEGATIVE score at or above this is a complaint
  std::string negative_label;                 // empty: the label whose name starts with "neg"
  std::string apology = "Sorry, {user} — our support team will contact you.";
  std::string alert_webhook;       // Discord webhook of the support channel; empty: no alert
  std::string json_webhook;        // any tool's webhook: the prediction plus the message metadata
  bool json_webhook_slack = false; // send {"text": ...} (Slack-compatible) instead
};

struct ServerConfig {
  HttpServerOptions http;
  runtime::BatcherConfig batcher;
  size_t max_client_batch_size = 32;  // inputs in one request; beyond: 413
  size_t max_input_chars = 100000;    // characters (code points) of one text or pair; beyond: 413
  bool auto_truncate = true;          // default of `truncate`/`truncation` when a request omits it
  std::vector<std::string> api_keys;  // empty: no authentication
  bool query_api_key = true;          // accept ?api_key= (the original service's clients)
  std::string model_id;               // as given (folder or Hub id)
  std::string served_model_name;      // KServe {name}; default: the folder's name
  LogFormat log_format = LogFormat::kJson;
  bool log_texts = false;             // review texts stay out of logs unless asked
  bool log_probes = false;            // successful health probes are counted, not logged
  std::string cors_allow_origin;      // empty: no CORS headers
  std::chrono::milliseconds request_timeout{0};  // 0: none; else queued work expires (504)
  std::chrono::milliseconds shutdown_grace{8000};  // under Cloud Run's 10 s SIGTERM->SIGKILL
  std::string gcp_project;            // for Cloud Logging trace ids (GOOGLE_CLOUD_PROJECT)
  DiscordConfig discord;
  size_t cache_size = runtime::kDefaultCacheSize;  // result cache entries; 0: off
  size_t ui_history = 0;  // texts the console's "recent" panel keeps in memory; 0: off
};

}  // namespace verdict::server
