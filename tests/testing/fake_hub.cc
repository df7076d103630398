#include "testing/fake_hub.h"

#include <sodium.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace verdict::testing {
namespace fs = std::filesystem;

std::string sha256_hex(const std::string& bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

namespace {

std::string header_value(const std::string& head, const std::string& lower_name) {
  std::string lower = head;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto at = lower.find("\r\n" + lower_name + ":");
  if (at == std::string::npos) return "";
  auto start = at + 3 + lower_name.size();
  const auto end = head.find("\r\n", start);
  while (start < end && head[start] == ' ') ++start;
  return head.substr(start, end - start);
}

}  // namespace

FakeHub::FakeHub(std::string model_id, const fs::path& folder) : model_id_(std::move(model_id)) {
  for (const auto& e : fs::directory_iterator(folder)) {
    const auto name = e.path().filename().string();
    if (name == "expected.jsonl" || !e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    files_[name] = bytes.str();
  }
  files_[".gitattributes"] = "*.safetensors filter=lfs diff=lfs merge=lfs -text\n";
  files_["README.md"] = "# a test model\n";
  cdn_ = std::make_unique<FakeHttpServer>([this](const FakeHttpServer::Received& r) { return on_cdn(r); });
  hub_ = std::make_unique<FakeHttpServer>([this](const FakeHttpServer::Received& r) { return on_hub(r); });
}

bool FakeHub::is_lfs(const std::string& file) const {
  return file.ends_with(".safetensors") || file.ends_with(".bin");
}

std::string FakeHub::etag_of(const std::string& file) const {
  const auto sha = sha256_hex(files_.at(file));
  return is_lfs(file) ? sha : sha.substr(0, 40);  // small files: a git blob id (40 hex)
}

FakeHttpServer::Reply FakeHub::serve_bytes(const FakeHttpServer::Received& r, const std::string& file, bool lfs) {
  const std::string& bytes = files_.at(file);
  FakeHttpServer::Reply reply;
  reply.headers = {"Content-Type: application/octet-stream", "Accept-Ranges: bytes"};
  const std::string range = header_value(r.head, "range");
  size_t from = 0;
  if (range.rfind("bytes=", 0) == 0) {
    from = std::stoul(range.substr(6));
    if (from >= bytes.size()) return {416, {}, "", std::string::npos};
    reply.status = 206;
    reply.headers.push_back("Content-Range: bytes " + std::to_string(from) + "-" + std::to_string(bytes.size() - 1) +
                            "/" + std::to_string(bytes.size()));
  }
  reply.body = bytes.substr(from);
  if (lfs && r.method == "GET" && drop_downloads > 0) {
    --drop_downloads;
    reply.drop_after = reply.body.size() / 2;
  }
  return reply;
}

FakeHttpServer::Reply FakeHub::on_cdn(const FakeHttpServer::Received& r) {
  // /lfs/{file}: a pre-signed URL needs no token, and must not receive the Hub's.
  const std::string prefix = "/lfs/";
  const std::string file = r.path.substr(std::min(r.path.size(), prefix.size()));
  if (r.path.rfind(prefix, 0) != 0 || !files_.count(file)) return {404, {}, "no such object"};
  return serve_bytes(r, file, true);
}

FakeHttpServer::Reply FakeHub::on_hub(const FakeHttpServer::Received& r) {
  if (!required_token.empty() && header_value(r.head, "authorization") != "Bearer " + required_token) {
    return {401, {"X-Error-Code: GatedRepo"}, R"({"error":"Access to model is restricted."})"};
  }
  for (const std::string prefix : {"/api/models/", "/"}) {
    const std::string old = prefix + old_id + "/";
    if (!old_id.empty() && r.path.rfind(old, 0) == 0) {
      return {307, {"Location: " + prefix + model_id_ + "/" + r.path.substr(old.size())}, "{}"};
    }
  }
  const std::string api = "/api/models/" + model_id_ + "/revision/";
  if (r.path.rfind("/api/models/", 0) == 0) {
    if (r.path.rfind(api, 0) != 0) return {404, {"X-Error-Code: RepoNotFound"}, R"({"error":"Repository not found"})"};
    const std::string rev = r.path.substr(api.size());
    if (rev != "main" && rev != kCommit) return {404, {"X-Error-Code: RevisionNotFound"}, R"({"error":"Invalid rev id"})"};
    nlohmann::json j = {{"id", model_id_}, {"modelId", model_id_}, {"sha", kCommit}, {"siblings", nlohmann::json::array()}};
    for (const auto& [name, _] : files_) j["siblings"].push_back({{"rfilename", name}});
    return {200, {}, j.dump()};
  }
  const std::string resolve = "/" + model_id_ + "/resolve/";
  if (r.path.rfind(resolve, 0) != 0) return {404, {"X-Error-Code: RepoNotFound"}, R"({"error":"Repository not found"})"};
  const std::string rest = r.path.substr(resolve.size());
  const auto slash = rest.find('/');
  const std::string rev = rest.substr(0, slash), file = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (rev != "main" && rev != kCommit) return {404, {"X-Error-Code: RevisionNotFound"}, "{}"};
  if (!files_.count(file)) return {404, {"X-Error-Code: EntryNotFound"}, R"({"error":"Entry not found"})"};
  const std::vector<std::string> common = {std::string("X-Repo-Commit: ") + kCommit};
  if (is_lfs(file)) {
    const std::string sha = wrong_sha ? sha256_hex("not these bytes") : etag_of(file);
    FakeHttpServer::Reply reply{302, common, ""};
    reply.headers.push_back("Location: " + cdn_->url("/lfs/" + file));
    reply.headers.push_back("X-Linked-Etag: \"" + sha + "\"");
    reply.headers.push_back("X-Linked-Size: " + std::to_string(files_.at(file).size()));
    reply.headers.push_back("ETag: \"" + sha256_hex(file).substr(0, 40) + "\"");  // the pointer file's
    return reply;
  }
  FakeHttpServer::Reply reply = serve_bytes(r, file, false);
  reply.headers.insert(reply.headers.end(), common.begin(), common.end());
  reply.headers.push_back("ETag: \"" + etag_of(file) + "\"");
  return reply;
}

}  // namespace verdict::testing
