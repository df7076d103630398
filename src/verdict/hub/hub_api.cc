#include "verdict/hub/hub_api.h"

#include <nlohmann/json.hpp>

#include "verdict/hub/cache_layout.h"
#include "verdict/net/http_client.h"

namespace verdict::hub {
namespace {

constexpr int kMaxRelativeRedirects = 5;

uint64_t parse_size(const std::string& s) {
  if (s.empty() || s.size() > 19) return 0;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

}  // namespace

std::vector<std::string> auth_headers(const HubSettings& hub, const std::string& url) {
  if (hub.token.empty() || !net::same_origin(url, hub.endpoint)) return {};
  return {"Authorization: Bearer " + hub.token};
}

std::string resolve_url(const HubSettings& hub, const std::string& model_id, const std::string& commit,
                        const std::string& file) {
  return hub.endpoint + "/" + model_id + "/resolve/" + url_encode(commit) + "/" + file;
}

Error hub_unreachable(const HubSettings& hub, const std::string& model_id, const std::string& why) {
  return make_error(ErrorCode::kUnavailable, "could not reach the Hugging Face Hub at " + hub.endpoint +
                                                 " to download model '" + model_id + "' (" + why +
                                                 "): check the network connection (or proxy settings), or set "
                                                 "HF_HUB_OFFLINE=1 to use only models already in the cache " +
                                                 hub.cache.string());
}

Error hub_http_error(const HubSettings& hub, long status, const std::string& x_error_code, const std::string& model_id,
                     const std::string& revision, const std::string& file) {
  const std::string code = " (HTTP " + std::to_string(status) + ")";
  const std::string model = "model '" + model_id + "'";
  if (status == 401 || status == 403) {
    const std::string token_advice =
        hub.token.empty() ? "; if it is private or gated, accept its terms on its Hub page and set HF_TOKEN to a "
                            "Hugging Face access token with read access"
                          : "; the token in HF_TOKEN was not accepted for it: check that it has read access and that "
                            "you accepted the model's terms on its Hub page if it is gated";
    if (x_error_code == "RepoNotFound") {
      return make_error(ErrorCode::kNotFound, model + " not found on the Hub at " + hub.endpoint + code + token_advice);
    }
    std::string why = x_error_code == "GatedRepo" ? " is gated" : " may be gated or private";
    return make_error(ErrorCode::kInvalidArgument, "access to " + model + " was refused by the Hub" + code + ": it" +
                                                       why + token_advice);
  }
  if (status == 404) {
    if (x_error_code == "RevisionNotFound") {
      return make_error(ErrorCode::kNotFound, "revision '" + revision + "' of " + model + " not found on the Hub" + code);
    }
    if (x_error_code == "EntryNotFound" && !file.empty()) {
      return make_error(ErrorCode::kNotFound, "file " + file + " of " + model + " (revision " + revision +
                                                  ") not found on the Hub" + code);
    }
    return make_error(ErrorCode::kNotFound, model + " (revision " + revision + ") not found on the Hub at " +
                                                hub.endpoint + code + ": check the id and the revision");
  }
  return make_error(ErrorCode::kUnavailable, "the Hub answered HTTP " + std::to_string(status) + " for " +
                                                 (file.empty() ? "" : "file " + file + " of ") + model +
                                                 " (revision " + revision + ")");
}

Result<RepoInfo> fetch_repo_info(const HubSettings& hub, const std::string& model_id, const std::string& revision) {
  net::HttpCall call;
  call.url = hub.endpoint + "/api/models/" + model_id + "/revision/" + url_encode(revision);
  call.timeout = std::chrono::milliseconds(30'000);
  Result<net::HttpReply> reply = make_error(ErrorCode::kInternal, "no request");
  for (int hop = 0;; ++hop) {
    call.headers = auth_headers(hub, call.url);
    reply = net::perform(call);
    if (!reply.ok()) return hub_unreachable(hub, model_id, reply.error().message);
    // A moved repository (e.g. an id that gained an org) redirects on the Hub itself.
    if (reply->status < 300 || reply->status >= 400 || reply->redirect_url.empty() ||
        !net::same_origin(reply->redirect_url, hub.endpoint) || hop >= kMaxRelativeRedirects) {
      break;
    }
    call.url = reply->redirect_url;
  }
  if (reply->status != 200) {
    return hub_http_error(hub, reply->status, reply->header("x-error-code"), model_id, revision);
  }
  const auto json = nlohmann::json::parse(reply->body, nullptr, false);
  const std::string where = "the Hub's answer for model '" + model_id + "' (revision " + revision + ")";
  if (!json.is_object() || !json.contains("sha") || !json["sha"].is_string()) {
    return make_error(ErrorCode::kUnavailable, where + " has no commit hash (field \"sha\")");
  }
  RepoInfo info;
  info.commit = json["sha"].get<std::string>();
  if (!is_commit_hash(info.commit)) {
    return make_error(ErrorCode::kUnavailable, where + ": \"sha\" is not a 40-digit commit hash");
  }
  if (json.contains("siblings") && json["siblings"].is_array()) {
    for (const auto& s : json["siblings"]) {
      if (s.is_object() && s.contains("rfilename") && s["rfilename"].is_string()) {
        info.files.push_back(s["rfilename"].get<std::string>());
      }
    }
  }
  return info;
}

Result<FileMetadata> fetch_file_metadata(const HubSettings& hub, const std::string& model_id,
                                         const std::string& commit, const std::string& file) {
  net::HttpCall call;
  call.method = "HEAD";
  call.url = resolve_url(hub, model_id, commit, file);
  call.timeout = std::chrono::milliseconds(30'000);
  for (int hop = 0;; ++hop) {
    call.headers = auth_headers(hub, call.url);
    call.headers.push_back("Accept-Encoding: identity");  // the size must be the file's, not a compressed one's
    auto reply = net::perform(call);
    if (!reply.ok()) return hub_unreachable(hub, model_id, reply.error().message);
    // A renamed repository answers with a redirect on the Hub itself: follow that one.
    if (reply->status >= 300 && reply->status < 400 && !reply->redirect_url.empty() &&
        net::same_origin(reply->redirect_url, hub.endpoint) && hop < kMaxRelativeRedirects) {
      call.url = reply->redirect_url;
      continue;
    }
    if (reply->status >= 400) {
      return hub_http_error(hub, reply->status, reply->header("x-error-code"), model_id, commit, file);
    }
    FileMetadata m;
    m.commit = reply->header("x-repo-commit");
    const std::string linked = reply->header("x-linked-etag");
    const std::string raw_etag = linked.empty() ? reply->header("etag") : linked;
    m.etag = normalize_etag(raw_etag);
    const std::string linked_size = reply->header("x-linked-size");
    m.size = parse_size(linked_size.empty() ? reply->header("content-length") : linked_size);
    if (m.etag.empty()) {
      return make_error(ErrorCode::kUnavailable, "the Hub sent no usable ETag for file " + file + " of model '" +
                                                     model_id + "' (is HF_ENDPOINT a Hugging Face Hub?)");
    }
    return m;
  }
}

}  // namespace verdict::hub
