#include "verdict/hub/pull.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "verdict/hub/cache.h"
#include "verdict/hub/cache_layout.h"
#include "verdict/hub/hub_api.h"
#include "verdict/hub/progress_bar.h"
#include "verdict/net/download.h"

namespace verdict::hub {
namespace fs = std::filesystem;
namespace {

constexpr int kMaxRedirects = 10;

// Tokenizer and configuration files any of the supported tokenizers may read.
const char* const kSmallFiles[] = {"tokenizer.json",  "tokenizer_config.json",   "special_tokens_map.json",
                                   "vocab.txt",       "vocab.json",              "merges.txt",
                                   "added_tokens.json", "sentencepiece.bpe.model"};

// An exclusive lock shared with huggingface_hub (it flocks .locks/{repo}/{etag}.lock too), so two
// pulls of one file, by either tool, never write the same .incomplete at once.
class BlobLock {
 public:
  BlobLock(const fs::path& cache, const std::string& repo, const std::string& etag) {
    const fs::path dir = cache / ".locks" / repo;
    std::error_code ec;
    fs::create_directories(dir, ec);
    fd_ = ::open((dir / (etag + ".lock")).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~BlobLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  BlobLock(const BlobLock&) = delete;
  BlobLock& operator=(const BlobLock&) = delete;

 private:
  int fd_ = -1;
};

Result<std::string> sha256_of_file(const fs::path& path) {
  if (sodium_init() < 0) return make_error(ErrorCode::kInternal, "libsodium could not start");
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kInternal, "could not read " + path.string());
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = in.gcount();
    if (n > 0) crypto_hash_sha256_update(&state, reinterpret_cast<unsigned char*>(buf.data()), static_cast<size_t>(n));
  }
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex);
}

uint64_t size_or_zero(const fs::path& p) {
  std::error_code ec;
  const auto s = fs::file_size(p, ec);
  return ec ? 0 : s;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string header_of(const net::DownloadReply& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

// Checks the finished .incomplete against what the Hub announced; removes it when wrong.
Status verify(const fs::path& incomplete, const FileMetadata& m, const std::string& model_id, const std::string& file) {
  const std::string where = "file " + file + " of model '" + model_id + "'";
  if (is_sha256_hex(m.etag)) {
    auto sha = sha256_of_file(incomplete);
    if (!sha.ok()) return sha.error();
    if (*sha != lower(m.etag)) {
      std::error_code ec;
      fs::remove(incomplete, ec);
      return make_error(ErrorCode::kCorruptModel, "the download of " + where + " is corrupt: its sha256 is " + *sha +
                                                      " but the Hub announced " + lower(m.etag) +
                                                      "; the bad file was deleted, run the pull again");
    }
  } else if (const uint64_t got = size_or_zero(incomplete); m.size > 0 && got != m.size) {
    std::error_code ec;
    fs::remove(incomplete, ec);
    return make_error(ErrorCode::kCorruptModel, "the download of " + where + " has " + std::to_string(got) +
                                                    " bytes but the Hub announced " +
                                                    std::to_string(m.size) + "; the bad file was deleted, run the pull again");
  }
  return {};
}

// One GET of the file into `incomplete` from its current size, following redirects (the LFS CDN)
// and sending the token only to the Hub's own origin.
net::DownloadReply get_once(const HubSettings& hub, const std::string& url0, const fs::path& incomplete,
                            ProgressBar& bar) {
  std::string url = url0;
  net::DownloadReply reply;
  for (int hop = 0; hop <= kMaxRedirects; ++hop) {
    net::DownloadCall call;
    call.url = url;
    call.headers = auth_headers(hub, url);
    call.headers.push_back("Accept-Encoding: identity");
    call.file = incomplete;
    call.offset = size_or_zero(incomplete);
    call.progress = [&bar](uint64_t done, uint64_t total) { bar.update(done, total); };
    reply = net::download(call);
    if (reply.status >= 300 && reply.status < 400 && !reply.redirect_url.empty()) {
      url = reply.redirect_url;
      continue;
    }
    return reply;
  }
  reply.error = "too many redirects";
  return reply;
}

Status fetch_file(const HubSettings& hub, const std::string& model_id, const std::string& revision,
                  const std::string& commit, const std::string& file, const PullOptions& options) {
  const std::string repo_name = repo_folder_name(model_id);
  const fs::path repo = hub.cache / repo_name;
  auto meta = fetch_file_metadata(hub, model_id, commit, file);
  if (!meta.ok()) return meta.error();
  const fs::path blob = repo / "blobs" / meta->etag;
  std::error_code ec;
  fs::create_directories(blob.parent_path(), ec);
  if (ec) return make_error(ErrorCode::kInternal, "could not create " + blob.parent_path().string() + ": " + ec.message());

  BlobLock lock(hub.cache, repo_name, meta->etag);
  if (!fs::exists(blob, ec) || (meta->size > 0 && size_or_zero(blob) != meta->size)) {
    const fs::path incomplete = blob.string() + ".incomplete";
    ProgressBar bar(file, options.progress);
    std::string last_error;
    bool done = false;
    for (int attempt = 1; attempt <= std::max(1, options.max_attempts) && !done; ++attempt) {
      if (attempt > 1) std::this_thread::sleep_for(std::chrono::milliseconds(200 * (attempt - 1)));
      const uint64_t have = size_or_zero(incomplete);
      if (meta->size > 0 && have == meta->size) break;  // a previous run got every byte
      if (meta->size > 0 && have > meta->size) fs::remove(incomplete, ec);
      auto r = get_once(hub, resolve_url(hub, model_id, commit, file), incomplete, bar);
      if (r.status == 416 && have > 0) break;  // nothing left to fetch: verify what is there
      if (r.status == 401 || r.status == 403 || r.status == 404) {
        return hub_http_error(hub, r.status, header_of(r, "x-error-code"), model_id, revision, file);
      }
      if (r.status == 0 && attempt == 1 && r.network_unreachable) return hub_unreachable(hub, model_id, r.error);
      if ((r.status == 200 || r.status == 206) && r.error.empty()) {
        done = true;
        break;
      }
      last_error = r.status == 0 || r.status == 200 || r.status == 206 ? r.error : "HTTP " + std::to_string(r.status);
    }
    bar.finish();
    const uint64_t have = size_or_zero(incomplete);
    if (!done && !(meta->size > 0 && have == meta->size)) {
      return make_error(ErrorCode::kUnavailable,
                        "the download of file " + file + " of model '" + model_id + "' was interrupted (" + last_error +
                            ") after " + std::to_string(have) + " of " + std::to_string(meta->size) +
                            " bytes; run the pull again to resume it");
    }
    if (auto st = verify(incomplete, *meta, model_id, file); !st.ok()) return st;
    fs::rename(incomplete, blob, ec);
    if (ec) return make_error(ErrorCode::kInternal, "could not move " + incomplete.string() + " into place: " + ec.message());
  }
  return link_snapshot_file(repo, commit, file, meta->etag);
}

}  // namespace

Result<std::vector<std::string>> files_to_download(const std::string& model_id, const std::vector<std::string>& files) {
  auto has = [&files](const std::string& f) { return std::find(files.begin(), files.end(), f) != files.end(); };
  std::vector<std::string> out;
  if (has("model.safetensors")) out.emplace_back("model.safetensors");
  else if (has("pytorch_model.bin")) out.emplace_back("pytorch_model.bin");
  else {
    const bool sharded = has("model.safetensors.index.json") || has("pytorch_model.bin.index.json");
    return make_error(ErrorCode::kUnsupported,
                      "model '" + model_id + "' has no model.safetensors or pytorch_model.bin on the Hub" +
                          (sharded ? " (its weights are split in shards, which Verdict does not read)" : ""));
  }
  for (const char* f : kSmallFiles)
    if (has(f)) out.emplace_back(f);
  if (!has("config.json")) {
    return make_error(ErrorCode::kUnsupported, "model '" + model_id + "' has no config.json on the Hub");
  }
  out.emplace_back("config.json");
  return out;
}

Result<fs::path> pull(const std::string& model_id, const PullOptions& options, const HubSettings& hub) {
  if (!is_valid_model_id(model_id)) {
    return make_error(ErrorCode::kInvalidArgument, "'" + model_id + "' is not a Hub model id (org/name or name)");
  }
  if (!is_valid_revision(options.revision)) {
    return make_error(ErrorCode::kInvalidArgument, "revision '" + options.revision + "' is not valid");
  }
  // Offline or unreachable, a revision already in the cache is the answer, as huggingface_hub gives.
  const auto from_cache = [&](const Error& why, const std::string& reason) -> Result<fs::path> {
    auto cached = resolve_model(model_id, options.revision, hub.cache);
    if (!cached.ok()) return why;
    if (options.notice) {
      options.notice(reason + ": using the copy of model '" + model_id + "' (revision " + options.revision +
                     ") already in the cache, not checked for updates");
    }
    return cached;
  };
  if (hub.offline) {
    return from_cache(make_error(ErrorCode::kUnavailable, "HF_HUB_OFFLINE is set: not downloading model '" +
                                                              model_id + "'; unset it to pull from " + hub.endpoint),
                      "HF_HUB_OFFLINE is set");
  }
  auto info = fetch_repo_info(hub, model_id, options.revision);
  if (!info.ok() && info.error().code == ErrorCode::kUnavailable) {
    return from_cache(info.error(), "the Hugging Face Hub at " + hub.endpoint + " could not be reached");
  }
  if (!info.ok()) return info.error();
  auto files = files_to_download(model_id, info->files);
  if (!files.ok()) return files.error();
  for (const auto& file : *files) {
    if (auto st = fetch_file(hub, model_id, options.revision, info->commit, file, options); !st.ok()) return st.error();
  }
  const fs::path repo = hub.cache / repo_folder_name(model_id);
  if (options.revision != info->commit) {
    if (auto st = write_ref(repo, options.revision, info->commit); !st.ok()) return st.error();
  }
  return repo / "snapshots" / info->commit;
}

Result<fs::path> resolve_or_pull(const std::string& model, const std::string& revision, PullPolicy policy,
                                 const HubSettings& hub) {
  std::error_code ec;
  if (fs::is_directory(model, ec)) return fs::path(model);
  auto cached = resolve_model(model, revision, hub.cache);
  if (cached.ok() || cached.error().code != ErrorCode::kNotFound || !is_valid_model_id(model)) return cached;
  if (policy == PullPolicy::kNever || hub.offline) {
    return make_error(ErrorCode::kNotFound,
                      cached.error().message + (hub.offline ? " (HF_HUB_OFFLINE is set, so it was not downloaded)"
                                                            : "; download it with: verdict pull " + model +
                                                                  (revision == "main" ? "" : " --revision " + revision)));
  }
  PullOptions options;
  options.revision = revision;
  options.progress = stderr_is_tty();
  auto pulled = pull(model, options, hub);
  if (!pulled.ok() && pulled.error().code == ErrorCode::kUnavailable) {
    // Often a mistyped folder, read as a Hub id: say that no such folder exists either.
    return make_error(ErrorCode::kUnavailable, pulled.error().message + "; there is no folder '" + model + "' here either");
  }
  return pulled;
}

}  // namespace verdict::hub
