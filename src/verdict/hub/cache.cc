#include "verdict/hub/cache.h"

#include <cstdlib>

#include "verdict/common/file_util.h"
#include "verdict/hub/cache_layout.h"

namespace verdict::hub {
namespace fs = std::filesystem;

fs::path cache_dir() {
  if (const char* c = std::getenv("HF_HUB_CACHE"); c && *c) return c;
  if (const char* h = std::getenv("HF_HOME"); h && *h) return fs::path(h) / "hub";
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "huggingface" / "hub";
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : "/") / ".cache" / "huggingface" / "hub";
}

bool is_valid_model_id(const std::string& id) {
  if (id.empty() || id.size() > 200) return false;
  size_t slashes = 0;
  std::string part;
  auto part_ok = [](const std::string& p) { return !p.empty() && p != "." && p != ".." && p.find("--") == std::string::npos; };
  for (char c : id) {
    if (c == '/') {
      if (++slashes > 1 || !part_ok(part)) return false;
      part.clear();
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    if (!ok) return false;
    part.push_back(c);
  }
  return part_ok(part);
}

Result<fs::path> find_cached_snapshot(const std::string& model_id, const std::string& revision, const fs::path& cache) {
  if (!is_valid_model_id(model_id)) {
    return make_error(ErrorCode::kInvalidArgument, "'" + model_id + "' is neither a folder nor a Hub model id");
  }
  if (!is_valid_revision(revision)) {
    return make_error(ErrorCode::kInvalidArgument, "revision '" + revision + "' is not valid");
  }
  const fs::path repo = cache / repo_folder_name(model_id);
  std::string commit = revision;
  if (auto ref = read_file(repo / "refs" / revision, 1024); ref.ok()) {
    commit = *ref;
    while (!commit.empty() && (commit.back() == '\n' || commit.back() == '\r' || commit.back() == ' ')) commit.pop_back();
  }
  const fs::path snapshot = repo / "snapshots" / commit;
  std::error_code ec;
  // `verdict pull` links config.json last, so a snapshot with it is complete.
  if (!is_valid_revision(commit) || commit.find('/') != std::string::npos || !fs::is_directory(snapshot, ec) || !fs::exists(snapshot / "config.json", ec)) {
    return make_error(ErrorCode::kNotFound, "model '" + model_id + "' (revision " + revision +
                                                ") is not a folder and was not found in the Hub cache " +
                                                cache.string());
  }
  return snapshot;
}

Result<fs::path> resolve_model(const std::string& model, const std::string& revision, const fs::path& cache) {
  std::error_code ec;
  if (fs::is_directory(model, ec)) return fs::path(model);
  // Something that looks like a path but is not there: say so rather than searching the cache.
  if (model.find("./") != std::string::npos || (!model.empty() && model.front() == '/') ||
      model.find('/') != model.rfind('/')) {
    return make_error(ErrorCode::kNotFound, model + ": model folder not found");
  }
  return find_cached_snapshot(model, revision, cache);
}

}  // namespace verdict::hub
