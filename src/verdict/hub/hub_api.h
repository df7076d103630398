// The two Hub HTTP calls a pull needs before the bytes: the repository's file list at a revision,
// and one file's metadata. Errors are full sentences naming the model (401/403: gated or private,
// set HF_TOKEN; 404: "not found"; no answer: the network).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/hub/settings.h"

namespace verdict::hub {

struct RepoInfo {
  std::string commit;              // "sha"
  std::vector<std::string> files;  // siblings[].rfilename
};

// GET {endpoint}/api/models/{id}/revision/{revision}
Result<RepoInfo> fetch_repo_info(const HubSettings& hub, const std::string& model_id, const std::string& revision);

struct FileMetadata {
  std::string etag;   // X-Linked-Etag (LFS: the sha256), else ETag; normalized
  uint64_t size = 0;  // X-Linked-Size, else Content-Length; 0: unknown
  std::string commit;  // X-Repo-Commit
};

// HEAD {endpoint}/{id}/resolve/{commit}/{file}; redirects to another host (the LFS CDN) are not
// followed, since the headers that matter are on the Hub's own answer.
Result<FileMetadata> fetch_file_metadata(const HubSettings& hub, const std::string& model_id,
                                         const std::string& commit, const std::string& file);

std::string resolve_url(const HubSettings& hub, const std::string& model_id, const std::string& commit,
                        const std::string& file);

// "Authorization: Bearer ..." when a token is set and `url` is on the endpoint's own origin: a
// token never goes to a redirect target elsewhere (the CDN needs none, it gets a signed URL).
std::vector<std::string> auth_headers(const HubSettings& hub, const std::string& url);

// The error for a Hub answer with a failing status. `what` names the object ("model 'x'",
// "file config.json of model 'x'"); x_error_code is the Hub's X-Error-Code header.
Error hub_http_error(const HubSettings& hub, long status, const std::string& x_error_code, const std::string& model_id,
                     const std::string& revision, const std::string& file = "");
Error hub_unreachable(const HubSettings& hub, const std::string& model_id, const std::string& why);

}  // namespace verdict::hub
