// `verdict pull`: download the files inference needs from the Hugging Face Hub into the cache,
// laid out as huggingface_hub does. Bytes go to blobs/{etag}.incomplete (resumed with Range after
// an interruption), are checked (sha256 of LFS files, else the size), then renamed into place; the
// snapshot links and the ref come last, config.json's link last of all, so nothing that looks
// complete is ever half-written.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/hub/settings.h"

namespace verdict::hub {

struct PullOptions {
  std::string revision = "main";
  bool progress = false;  // a progress bar on stderr (callers pass stderr_is_tty())
  int max_attempts = 5;   // per file: a dropped transfer is resumed this many times in all
  // Told when the cache stands in for the Hub (offline, or the Hub unreachable), as
  // huggingface_hub does: the revision already cached is returned, not checked for updates.
  std::function<void(const std::string&)> notice;
};

// The files of a repository inference needs, in download order (weights first, config.json last);
// kUnsupported when it has no config.json or no single-file weights.
Result<std::vector<std::string>> files_to_download(const std::string& model_id, const std::vector<std::string>& files);

// Downloads what is missing; returns the snapshot folder.
Result<std::filesystem::path> pull(const std::string& model_id, const PullOptions& options, const HubSettings& hub);

enum class PullPolicy { kNever, kIfMissing };

// --model: an existing folder as is; else a Hub id from the cache; else (kIfMissing, not offline)
// pulled. Errors say how to get the model when it may not be downloaded.
Result<std::filesystem::path> resolve_or_pull(const std::string& model, const std::string& revision,
                                              PullPolicy policy, const HubSettings& hub);

}  // namespace verdict::hub
