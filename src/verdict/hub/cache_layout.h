// Names and atomic writes inside one repository folder of the Hub cache, byte-for-byte as
// huggingface_hub lays them out (so either tool reuses what the other downloaded):
//   models--{org}--{name}/blobs/{etag}                 the file's bytes
//   models--{org}--{name}/snapshots/{commit}/{file}    -> ../../blobs/{etag}  (relative symlink)
//   models--{org}--{name}/refs/{revision}              the commit hash, no newline
#pragma once

#include <filesystem>
#include <string>

#include "verdict/common/error.h"

namespace verdict::hub {

// "org/name" -> "models--org--name".
std::string repo_folder_name(const std::string& model_id);

// A branch, tag or commit: parts of [A-Za-z0-9._-] joined by '/' ("refs/pr/1"), no "." or "..".
bool is_valid_revision(const std::string& revision);
bool is_commit_hash(const std::string& s);  // 40 lowercase hex digits
bool is_sha256_hex(const std::string& s);   // 64 hex digits: an LFS file's ETag is its sha256

// An ETag header as the blob's file name: without W/ and quotes. Empty if what is left could not
// be a plain file name (the server's word never chooses a path).
std::string normalize_etag(const std::string& header);

// Percent-encodes what is not [A-Za-z0-9._~-], '/' included (a revision in a URL path).
std::string url_encode(const std::string& s);

// refs/{revision} = commit, written to a temporary file then renamed over.
Status write_ref(const std::filesystem::path& repo, const std::string& revision, const std::string& commit);

// snapshots/{commit}/{file} -> ../../blobs/{etag} (one more ../ per folder in `file`), replacing
// any previous link atomically.
Status link_snapshot_file(const std::filesystem::path& repo, const std::string& commit, const std::string& file,
                          const std::string& etag);

}  // namespace verdict::hub
