// Streaming a large HTTP body into a file, resumable: the Hub pull writes model weights with it.
// One request, redirects not followed (the caller decides which headers a redirect target gets).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace verdict::net {

struct DownloadCall {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::filesystem::path file;        // appended to from `offset` (Range) or rewritten on a plain 200
  uint64_t offset = 0;
  // Called with the bytes of the file written so far and the total announced (0: unknown), a few
  // times a second at most.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct DownloadReply {
  long status = 0;                   // 0: no HTTP answer at all
  std::string error;                 // empty when the transfer completed
  bool network_unreachable = false;  // DNS, refused, timeout before any answer
  std::string redirect_url;          // absolute Location of a 3xx
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased (of the last answer)
  std::string body;                  // non-2xx bodies, at most 64 KiB (2xx bodies go to the file)
  uint64_t file_size = 0;            // size of `file` after the call
};

DownloadReply download(const DownloadCall& call);

}  // namespace verdict::net
