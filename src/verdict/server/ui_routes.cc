// The review console: GET /ui (page, script, style sheet, embedded at build time from
// src/verdict/server/ui/) and GET /ui/history (the "recent" panel's data, API key required).
// The page loads nothing from elsewhere, so it works offline and under a strict CSP.
#include <cctype>

#include "verdict/server/service.h"
#include "verdict/ui_app_css.h"
#include "verdict/ui_app_js.h"
#include "verdict/ui_index_html.h"

namespace verdict::server {
namespace {

// Same origin only; no inline script or style; no framing; no form posts elsewhere.
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

void add_page_headers(HttpResponse& r) {
  r.headers.insert(r.headers.end(), {{"Content-Security-Policy", kContentSecurityPolicy},
                                     {"X-Content-Type-Options", "nosniff"},
                                     {"X-Frame-Options", "DENY"},
                                     {"Referrer-Policy", "no-referrer"},
                                     {"Cache-Control", "no-cache"}});
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

void Service::get_ui(const HttpRequest& r, const std::shared_ptr<Reply>& reply) {
  HttpResponse out;
  std::string path = r.path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path == "/ui/app.js") {
    out.content_type = "text/javascript; charset=utf-8";
    out.body = kUiAppJs;
  } else if (path == "/ui/app.css") {
    out.content_type = "text/css; charset=utf-8";
    out.body = kUiAppCss;
  } else {
    out.content_type = "text/html; charset=utf-8";
    out.body = kUiIndexHtml;
  }
  add_page_headers(out);
  reply->send(std::move(out));
}

std::string Service::negative_label() const {
  if (!config_.discord.negative_label.empty()) return config_.discord.negative_label;
  for (const auto& l : pipeline_->config().labels) {
    if (lower(l).rfind("neg", 0) == 0) return l;
  }
  return "";
}

void Service::record_history(const std::string& source, const std::string& text,
                             const model::LabelScore& top) {
  ui_history_.record(source, text, top.label, top.score);
}

void Service::get_ui_history(const HttpRequest&, const std::shared_ptr<Reply>& reply) {
  auto j = ui_history_.snapshot();
  j["labels"] = pipeline_->config().labels;
  j["negative_label"] = negative_label();
  j["model"] = config_.served_model_name;
  HttpResponse out;
  out.body = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  out.headers.emplace_back("Cache-Control", "no-store");  // review texts: never kept by a browser cache
  reply->send(std::move(out));
}

}  // namespace verdict::server
