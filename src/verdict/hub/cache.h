// The Hugging Face Hub cache, laid out as huggingface_hub (and so transformers) writes it:
//   $HF_HUB_CACHE | $HF_HOME/hub | ~/.cache/huggingface/hub
//     models--{org}--{name}/refs/{revision}           -> commit hash
//     models--{org}--{name}/snapshots/{commit}/{file} -> ../../blobs/{etag}
// A model transformers already downloaded is found here without any download.
#pragma once

#include <filesystem>
#include <string>

#include "verdict/common/error.h"

namespace verdict::hub {

// The cache root from the environment, as huggingface_hub computes it.
std::filesystem::path cache_dir();

// "org/name" or "name" with only [A-Za-z0-9._-] parts; no "..", no leading/trailing '/'.
bool is_valid_model_id(const std::string& id);

// The snapshot folder of `model_id` at `revision` (a branch/tag in refs/, or a commit hash).
// kNotFound names the id, revision and the cache searched.
Result<std::filesystem::path> find_cached_snapshot(const std::string& model_id, const std::string& revision = "main",
                                                   const std::filesystem::path& cache = cache_dir());

// --model: an existing folder as is; else a Hub id resolved from the cache.
Result<std::filesystem::path> resolve_model(const std::string& model, const std::string& revision = "main",
                                            const std::filesystem::path& cache = cache_dir());

}  // namespace verdict::hub
