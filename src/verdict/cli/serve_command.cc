// `verdict serve`: load and warm the model, then listen; SIGTERM/SIGINT drain and exit 0.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <pthread.h>
#include <string_view>
#include <thread>

#include "verdict/cli/commands.h"
#include "verdict/cli/model_option.h"
#include "verdict/hub/cache.h"
#include "verdict/hub/pull.h"
#include "verdict/hub/settings.h"
#include "verdict/kernels/cpu.h"
#include "verdict/kernels/linear.h"
#include "verdict/common/thread_name.h"
#include "verdict/server/api_keys.h"
#include "verdict/server/cors.h"
#include "verdict/server/gcp_metadata.h"
#include "verdict/server/service.h"
#include "verdict/version.h"

namespace verdict::cli {
namespace {

struct ServeArgs {
  ModelChoice choice;
  std::string model;
  std::string host = "0.0.0.0";
  int port = -1;
  std::string served_model_name;
  size_t max_batch_tokens = 16384;
  size_t max_batch_requests = 0;
  size_t max_concurrent_requests = 512;
  size_t max_client_batch_size = 32;
  size_t max_input_chars = 100000;
  size_t payload_limit = 2'000'000;
  bool auto_truncate = true;
  std::vector<std::string> api_keys;
  std::string api_key_file;
  bool no_query_api_key = false;
  std::string log_format = "json";
  bool log_texts = false;
  bool log_probes = false;
  std::string cors_allow_origin;
  size_t request_timeout_ms = 0;
  size_t shutdown_grace_ms = 8000;
  size_t http_workers = 2;
  size_t read_timeout_ms = 30000;
  size_t idle_timeout_ms = 60000;
  size_t max_connections = 10'000;
  size_t max_buffered_bytes = 0;
  std::string gcp_project;
  std::string discord_public_key;
  float discord_negative_threshold = 0.9f;
  std::string discord_negative_label;
  std::string discord_apology = "Sorry, {user} — our support team will contact you.";
  size_t discord_max_clock_skew_s = 300;
  std::string discord_alert_webhook;
  std::string alert_webhook;
  std::string alert_webhook_format = "json";
  size_t cache_size = runtime::kDefaultCacheSize;
  size_t ui_history = 0;
};

// VERDICT_PORT, else PORT (Cloud Run's), else 8080. A Kubernetes Service named "verdict" (like a
// Docker link) injects VERDICT_PORT=tcp://10.96.0.12:80 into every pod: that is a link, not a
// port, and is skipped rather than failing the start.
Result<int> port_from_env() {
  for (const char* name : {"VERDICT_PORT", "PORT"}) {
    const char* v = std::getenv(name);
    if (!v || !*v) continue;
    if (std::string_view(name) == "VERDICT_PORT" && std::string_view(v).find("://") != std::string_view::npos) continue;
    char* end = nullptr;
    errno = 0;
    const long p = std::strtol(v, &end, 10);
    if (*end == 0 && errno == 0 && p >= 0 && p <= 65535) return static_cast<int>(p);
    return make_error(ErrorCode::kInvalidArgument,
                      std::string(name) + "='" + v + "' is not a port (a number from 0 to 65535)");
  }
  return 8080;
}

// A Hub id missing from the cache is pulled (unless --no-pull), saying so in the log: on a
// platform without a terminal that is the only sign of a long first start.
Result<std::string> serve_model_folder(const ModelChoice& m, server::Logger& logger) {
  const auto hub = hub::settings_from_env();
  auto cached = hub::resolve_or_pull(m.model, m.revision, hub::PullPolicy::kNever, hub);
  if (cached.ok()) return cached->string();
  if (m.no_pull || hub.offline || cached.error().code != ErrorCode::kNotFound || !hub::is_valid_model_id(m.model)) {
    return cached.error();
  }
  logger.info("model " + m.model + " (revision " + m.revision + ") is not in the Hub cache " + hub.cache.string() +
              ": downloading it from " + hub.endpoint);
  auto folder = model_folder(m);
  if (folder.ok()) logger.info("model " + m.model + " downloaded to " + *folder);
  return folder;
}

int run_serve(ServeArgs a) {
  a.model = a.choice.model;
  // Signals are taken by sigwait below, never by a thread in the middle of work.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // With JSON logs (Cloud Logging), a start-up failure is a JSON line of severity ERROR like the
  // rest: plain text on stderr carries no severity, and an alert on errors would miss the cause
  // of a crash loop.
  const auto log_format = a.log_format == "text" ? server::LogFormat::kText : server::LogFormat::kJson;
  server::Logger logger(log_format, a.gcp_project);
  auto fail = [&](const std::string& message) {
    if (log_format == server::LogFormat::kText) return cli::fail(message);
    logger.error(message);
    return 1;
  };

  if (a.port == -1) {
    auto port = port_from_env();
    if (!port.ok()) return fail(port.error().message);
    a.port = *port;
  }
  // `--api-key "$KEY"` with KEY unset would otherwise start a public server that logs "API key required".
  for (const auto& key : a.api_keys) {
    if (server::trim_key(key).empty()) {
      return fail("--api-key is empty (an unset variable?): give a key, or leave the option out for a public server");
    }
  }
  if (!a.api_key_file.empty()) {
    auto keys = server::read_api_key_file(a.api_key_file);
    if (!keys.ok()) return fail(keys.error().message);
    a.api_keys.insert(a.api_keys.end(), keys->begin(), keys->end());
  }
  if (const char* env = std::getenv("VERDICT_API_KEY"); env && a.api_keys.empty()) {
    // Set from a secret: an empty one (a missing secret, compose's ${KEY:-}) must not mean a public
    // server, and a trailing newline (`echo key > secret`) must not make every client's key wrong.
    const std::string_view key = server::trim_key(env);
    if (key.empty()) return fail("VERDICT_API_KEY is set but empty: give a key, or unset it for a public server");
    a.api_keys.emplace_back(key);
  }

  server::ServerConfig config;
  config.http.host = a.host;
  config.http.port = static_cast<uint16_t>(a.port);
  config.http.payload_limit = a.payload_limit;
  config.http.worker_threads = a.http_workers;
  config.http.read_timeout = std::chrono::milliseconds(a.read_timeout_ms);
  config.http.idle_timeout = std::chrono::milliseconds(a.idle_timeout_ms);
  config.http.max_connections = a.max_connections;
  config.http.max_buffered_bytes = a.max_buffered_bytes;
  config.batcher.max_batch_tokens = a.max_batch_tokens;
  config.batcher.max_batch_requests = a.max_batch_requests;
  config.batcher.max_concurrent_requests = a.max_concurrent_requests;
  config.max_client_batch_size = a.max_client_batch_size;
  config.max_input_chars = a.max_input_chars;
  config.auto_truncate = a.auto_truncate;
  config.api_keys = a.api_keys;
  config.query_api_key = !a.no_query_api_key;
  config.model_id = a.model;
  config.served_model_name = a.served_model_name;
  if (config.served_model_name.empty()) {
    auto p = std::filesystem::path(a.model);
    while (!p.empty() && p.filename().empty()) p = p.parent_path();
    config.served_model_name = p.filename().string();
  }
  // KServe's {name} is one path segment: a name with '/' could never be addressed.
  if (config.served_model_name.find('/') != std::string::npos) {
    return fail("--served-model-name '" + config.served_model_name + "' contains '/'; KServe's /v2/models/{name} "
                "takes one path segment");
  }
  config.log_format = log_format;
  config.log_texts = a.log_texts;
  config.log_probes = a.log_probes;
  if (auto st = server::check_cors_allow_origin(a.cors_allow_origin); !st.ok()) return fail(st.error().message);
  config.cors_allow_origin = a.cors_allow_origin;
  config.request_timeout = std::chrono::milliseconds(a.request_timeout_ms);
  config.shutdown_grace = std::chrono::milliseconds(a.shutdown_grace_ms);
  config.gcp_project = a.gcp_project;
  if (!a.discord_public_key.empty() && (a.discord_public_key.size() != 64 ||
                                        a.discord_public_key.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)) {
    // Else every interaction would be refused 401 as a bad signature, with nothing in the log.
    return fail("--discord-public-key must be the application's public key: 64 hex characters, found " +
                std::to_string(a.discord_public_key.size()) + " characters" +
                (a.discord_public_key.size() == 64 ? " that are not all hex digits" : ""));
  }
  config.discord.public_key_hex = a.discord_public_key;
  config.discord.negative_threshold = a.discord_negative_threshold;
  config.discord.negative_label = a.discord_negative_label;
  config.discord.apology = a.discord_apology;
  config.discord.max_clock_skew = std::chrono::seconds(a.discord_max_clock_skew_s);
  config.discord.alert_webhook = a.discord_alert_webhook;
  config.discord.json_webhook = a.alert_webhook;
  config.discord.json_webhook_slack = a.alert_webhook_format == "slack";
  config.cache_size = a.cache_size;
  config.ui_history = a.ui_history;
  for (const auto* url : {&a.discord_alert_webhook, &a.alert_webhook}) {
    if (!url->empty() && url->rfind("https://", 0) != 0 && url->rfind("http://", 0) != 0) {
      return fail("webhook URLs must start with https:// (or http://)");  // never echo the URL: it is a secret
    }
  }

  const auto t0 = std::chrono::steady_clock::now();
  auto model_opts = model_options(a.choice);
  if (!model_opts.ok()) return fail(model_opts.error().message);
  // Listen as soon as the weights are mapped and warm; fp32 layers move to their packed copies
  // as they are made (only where packing is faster, see README "Start-up").
  model_opts->defer_packing = true;
  auto folder = serve_model_folder(a.choice, logger);
  if (!folder.ok()) return fail(folder.error().message);
  auto pipeline = runtime::Pipeline::load(*folder, *model_opts);
  if (!pipeline.ok()) return fail(pipeline.error().message);
  if (config.batcher.max_batch_tokens < (*pipeline)->max_input_length()) {
    return fail("--max-batch-tokens " + std::to_string(config.batcher.max_batch_tokens) +
                " is smaller than the model's maximum input of " + std::to_string((*pipeline)->max_input_length()) +
                " tokens");
  }
  model::SequenceClassifier& model = (*pipeline)->model();  // owned by the service from here on
  const kernels::Precision precision = (*pipeline)->precision();
  const std::string precision_text = describe_precision(model);
  metrics::Registry registry;
  server::Service service(config, std::move(*pipeline), registry, logger);
  if (auto st = service.warm_up(); !st.ok()) return fail("warm-up failed: " + st.error().message);
  kernels::release_thread_pool();  // from here on only the batcher's thread computes
  model.start_packing([&logger](const model::PackingReport& r) {
    if (!r.error.empty()) {
      logger.warning("packing the weights failed (" + r.error + "); the layers not packed stay on the slower route");
      return;
    }
    logger.info("weights packed for the faster route in " + std::to_string(static_cast<int>(r.milliseconds)) +
                " ms (" + std::to_string(r.bytes >> 20) + " MB)");
  });
  config.http.answers_inline = &server::Service::answers_inline;
  server::HttpServer http(config.http,
                          [&service](server::HttpRequest r, server::Respond respond) {
                            service.handle(std::move(r), std::move(respond));
                          },
                          [&service](const server::HttpRequest& known, int status, const std::string& message) {
                            return service.refusal(known, status, message);
                          });
  if (auto st = http.start(); !st.ok()) return fail(st.error().message);
  const double ready_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  logger.info("verdict " + std::string(kVersion) + " serving " + a.model + " on " + a.host + ":" +
              std::to_string(http.port()) + " (ready in " + std::to_string(static_cast<int>(ready_ms)) +
              " ms; isa " + kernels::effective_isa() + ", " + precision_text +
              " on " + kernels::kernel_route(precision) + ", " + std::to_string(kernels::compute_threads()) + " compute thread" +
              (kernels::compute_threads() == 1 ? "" : "s") + " (OpenMP " +
              kernels::openmp_wait_policy() + ")" + (config.api_keys.empty() ? ", no API key" : ", API key required") + ")");

  // On Cloud Run the project of trace fields comes from the metadata server, after listening so
  // that a slow answer never delays a cold start; lines logged before it stay bare.
  std::thread project_lookup;
  if (config.gcp_project.empty() && server::on_cloud_run()) {
    project_lookup = std::thread([&logger] {
      name_this_thread("verdict-metadata");
      if (auto project = server::project_from_metadata_server(std::chrono::seconds(3)); !project.empty()) {
        logger.set_gcp_project(project);
        logger.info("Cloud Logging trace fields name project " + project + " (from the metadata server)");
      } else {
        logger.warning("no project id from the metadata server: trace fields stay bare ids "
                       "(set GOOGLE_CLOUD_PROJECT or --gcp-project)");
      }
    });
  }

  int sig = 0;
  sigwait(&signals, &sig);
  using Clock = std::chrono::steady_clock;
  const auto signalled = Clock::now();
  logger.info(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") + ": draining");
  service.start_draining();
  http.stop_accepting();
  const bool drained = service.wait_idle(config.shutdown_grace);
  // Past the grace, what is still queued is answered 503 rather than computed and cut off.
  if (!drained) service.abandon_queued();
  // The alerts of the last complaints and the last answers' bytes get at most one second past
  // the grace, so the default 8 s drain ends before Cloud Run's SIGKILL at 10 s.
  const auto grace_end = signalled + config.shutdown_grace;
  const auto now = Clock::now();
  const auto webhook_time = std::clamp<Clock::duration>(grace_end - now, std::chrono::milliseconds(500),
                                                        std::chrono::milliseconds(1500));
  const bool alerts_sent = service.wait_webhooks(std::chrono::duration_cast<std::chrono::milliseconds>(webhook_time));
  const auto flush_deadline = Clock::now() + std::chrono::milliseconds(500);
  while (http.active_requests() > 0 && Clock::now() < flush_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  http.stop();
  if (project_lookup.joinable()) project_lookup.join();
  const size_t computing = service.in_flight();
  logger.info(drained ? "stopped: every accepted request was answered"
                      : "stopped: the grace period ended; " + std::to_string(computing) +
                            " request(s) were still computing and get no answer, the queued ones were answered 503");
  if (computing > 0 || !alerts_sent) {
    // A forward pass or a webhook attempt cannot be interrupted, and destroying the server would
    // wait for them (seconds past the grace, then SIGKILL): exit now.
    if (!alerts_sent) logger.warning("exiting with webhook alerts undelivered");
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(0);
  }
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, Action& action) {
  auto a = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand("serve", "Serve the model over HTTP (original route, Hugging Face Inference API, "
                                          "TEI, KServe v2)");
  add_model_options(cmd, a->choice);
  cmd->add_option("--host", a->host, "IP address to listen on (or localhost)")->envname("VERDICT_HOST");
  cmd->add_option("--port", a->port, "Port (default: $VERDICT_PORT, else $PORT, else 8080; 0: any free port)")
      ->check(CLI::Range(0, 65535))
      ->default_str("");  // -1 only means "not given"
  cmd->add_option("--served-model-name", a->served_model_name, "Model name in KServe routes (default: folder name)")
      ->envname("VERDICT_SERVED_MODEL_NAME");
  cmd->add_option("--max-batch-tokens", a->max_batch_tokens, "Tokens in one forward pass")
      ->envname("VERDICT_MAX_BATCH_TOKENS")->check(CLI::Range(size_t{1}, size_t{1} << 22));
  cmd->add_option("--max-batch-requests", a->max_batch_requests, "Sequences in one forward pass (0: no limit)")
      ->envname("VERDICT_MAX_BATCH_REQUESTS")->check(CLI::Range(size_t{0}, size_t{1} << 20));
  cmd->add_option("--max-concurrent-requests", a->max_concurrent_requests,
                  "Inference requests in flight; beyond: 429 at once")
      ->envname("VERDICT_MAX_CONCURRENT_REQUESTS")->check(CLI::Range(size_t{1}, size_t{1} << 20));
  cmd->add_option("--max-input-chars", a->max_input_chars, "Characters of one input (text + pair); beyond: 413; 0: no limit")
      ->envname("VERDICT_MAX_INPUT_CHARS")->check(CLI::Range(size_t{0}, size_t{1} << 30));
  cmd->add_option("--max-client-batch-size", a->max_client_batch_size, "Inputs in one request; beyond: 413")
      ->envname("VERDICT_MAX_CLIENT_BATCH_SIZE")->check(CLI::Range(size_t{1}, size_t{1} << 16));
  cmd->add_option("--payload-limit", a->payload_limit, "Request body bytes; beyond: 413")
      ->envname("VERDICT_PAYLOAD_LIMIT")->check(CLI::Range(size_t{1}, size_t{1} << 30));
  cmd->add_option("--auto-truncate", a->auto_truncate,
                  "Truncate inputs over the model's maximum when a request does not say (true/false)")
      ->envname("VERDICT_AUTO_TRUNCATE");
  cmd->add_option("--api-key", a->api_keys, "API key clients must send (repeatable; env VERDICT_API_KEY)");
  cmd->add_option("--api-key-file", a->api_key_file, "File with API keys, one per line")
      ->envname("VERDICT_API_KEY_FILE");
  cmd->add_flag("--no-query-api-key", a->no_query_api_key,
                "Accept the key only as Authorization: Bearer, not as ?api_key=")
      ->envname("VERDICT_NO_QUERY_API_KEY");
  cmd->add_option("--log-format", a->log_format, "json (Cloud Logging) or text")
      ->envname("VERDICT_LOG_FORMAT")->check(CLI::IsMember({"json", "text"}));
  cmd->add_flag("--log-texts", a->log_texts, "Include review texts in request logs")->envname("VERDICT_LOG_TEXTS");
  cmd->add_flag("--log-probes", a->log_probes,
                "Log successful health probes too (/health, /ping, /v2/health/*; counted in /metrics either way)")
      ->envname("VERDICT_LOG_PROBES");
  cmd->add_option("--cors-allow-origin", a->cors_allow_origin, "CORS: '*' or a comma-separated list of origins")
      ->envname("VERDICT_CORS_ALLOW_ORIGIN");
  cmd->add_option("--request-timeout-ms", a->request_timeout_ms,
                  "Queued work older than this is dropped with 504 (0: no deadline)")
      ->envname("VERDICT_REQUEST_TIMEOUT_MS")
      ->check(CLI::Range(0, 86'400'000));
  cmd->add_option("--shutdown-grace-ms", a->shutdown_grace_ms,
                  "On SIGTERM, how long queued requests may take to finish")
      ->envname("VERDICT_SHUTDOWN_GRACE_MS")->check(CLI::Range(size_t{0}, size_t{3'600'000}));
  cmd->add_option("--http-workers", a->http_workers, "Threads parsing and tokenizing requests")
      ->envname("VERDICT_HTTP_WORKERS")->check(CLI::Range(1, 256));
  cmd->add_option("--read-timeout-ms", a->read_timeout_ms, "Time to receive one whole request")
      ->envname("VERDICT_READ_TIMEOUT_MS")->check(CLI::Range(size_t{1}, size_t{3'600'000}));
  cmd->add_option("--idle-timeout-ms", a->idle_timeout_ms, "Keep-alive connection idle time")
      ->envname("VERDICT_IDLE_TIMEOUT_MS")->check(CLI::Range(size_t{1}, size_t{86'400'000}));
  cmd->add_option("--max-connections", a->max_connections, "Open connections; beyond: 503 and close")
      ->envname("VERDICT_MAX_CONNECTIONS")->check(CLI::Range(size_t{1}, size_t{1'000'000}));
  cmd->add_option("--max-buffered-bytes", a->max_buffered_bytes,
                  "Request body bytes all connections may hold at once; beyond: 503 (0: 32 x --payload-limit)")
      ->envname("VERDICT_MAX_BUFFERED_BYTES")->check(CLI::Range(size_t{0}, size_t{1} << 40));
  cmd->add_option("--gcp-project", a->gcp_project, "Project id for Cloud Logging trace fields")
      ->envname("GOOGLE_CLOUD_PROJECT");
  cmd->add_option("--discord-public-key", a->discord_public_key,
                  "Discord application public key (hex): enables POST /discord/interactions")
      ->envname("VERDICT_DISCORD_PUBLIC_KEY");
  cmd->add_option("--discord-negative-threshold", a->discord_negative_threshold,
                  "NEGATIVE score at or above which a review is a complaint")
      ->envname("VERDICT_DISCORD_NEGATIVE_THRESHOLD")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--discord-negative-label", a->discord_negative_label,
                  "The complaint label (default: the label starting with 'neg')")
      ->envname("VERDICT_DISCORD_NEGATIVE_LABEL");
  cmd->add_option("--discord-apology", a->discord_apology, "Reply to a complaint; {user} mentions its author")
      ->envname("VERDICT_DISCORD_APOLOGY");
  cmd->add_option("--discord-max-clock-skew-s", a->discord_max_clock_skew_s,
                  "Signed timestamps older or newer than this are refused (replays)")
      ->envname("VERDICT_DISCORD_MAX_CLOCK_SKEW_S")->check(CLI::Range(size_t{1}, size_t{86'400}));
  cmd->add_option("--discord-alert-webhook", a->discord_alert_webhook,
                  "Discord webhook URL of the support channel: complaints are posted there")
      ->envname("VERDICT_DISCORD_ALERT_WEBHOOK");
  cmd->add_option("--alert-webhook", a->alert_webhook,
                  "Any tool's webhook URL: complaints posted as the prediction plus message metadata")
      ->envname("VERDICT_ALERT_WEBHOOK");
  cmd->add_option("--alert-webhook-format", a->alert_webhook_format, "json, or slack ({\"text\": ...})")
      ->envname("VERDICT_ALERT_WEBHOOK_FORMAT")->check(CLI::IsMember({"json", "slack"}));
  cmd->add_option("--cache-size", a->cache_size,
                  "Result cache entries (LRU of identical inputs' outputs; 0: off)")
      ->envname("VERDICT_CACHE_SIZE")->check(CLI::Range(size_t{0}, size_t{1} << 24));
  cmd->add_option("--ui-history", a->ui_history,
                  "Texts the console's recent panel keeps, in memory only (0: off)")
      ->envname("VERDICT_UI_HISTORY")->check(CLI::Range(size_t{0}, size_t{100000}));
  cmd->callback([&action, a] { action = [a] { return run_serve(*a); }; });
}

}  // namespace verdict::cli
