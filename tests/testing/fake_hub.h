// A fake Hugging Face Hub on 127.0.0.1 serving one model folder as repository `model_id`, with the
// Hub's API and headers: /api/models/{id}/revision/{rev}, HEAD and GET /{id}/resolve/{rev}/{file}
// (X-Repo-Commit, ETag / X-Linked-Etag, X-Linked-Size), LFS files redirected to a second server
// (the CDN, another origin) that honours Range. Knobs simulate what goes wrong in real pulls.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "testing/fake_http_server.h"

namespace verdict::testing {

class FakeHub {
 public:
  static constexpr const char* kCommit = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";
  FakeHub(std::string model_id, const std::filesystem::path& folder);

  std::string endpoint() const { return hub_->url(""); }

  std::atomic<int> drop_downloads{0};   // the next N downloads of an LFS file stop halfway
  std::atomic<bool> wrong_sha{false};   // announce a sha256 the LFS files do not have
  std::string required_token;           // set: requests without "Bearer <it>" get 401 (private repo)
  std::string old_id;                   // set: the repository's former id, redirected (307) as the Hub does

  std::vector<FakeHttpServer::Received> hub_requests() { return hub_->received(); }
  std::vector<FakeHttpServer::Received> cdn_requests() { return cdn_->received(); }

  // sha256 (hex) of a served file: its blob name for LFS files.
  std::string etag_of(const std::string& file) const;
  bool is_lfs(const std::string& file) const;

 private:
  FakeHttpServer::Reply on_hub(const FakeHttpServer::Received& r);
  FakeHttpServer::Reply on_cdn(const FakeHttpServer::Received& r);
  FakeHttpServer::Reply serve_bytes(const FakeHttpServer::Received& r, const std::string& file, bool lfs);
  std::string model_id_;
  std::map<std::string, std::string> files_;  // name -> bytes
  std::unique_ptr<FakeHttpServer> cdn_;
  std::unique_ptr<FakeHttpServer> hub_;
};

// Lower-case hex sha256 (libsodium).
std::string sha256_hex(const std::string& bytes);

}  // namespace verdict::testing
