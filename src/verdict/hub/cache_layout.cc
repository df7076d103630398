#include "verdict/hub/cache_layout.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>

namespace verdict::hub {
namespace fs = std::filesystem;
namespace {

bool is_hex(const std::string& s, size_t n, bool lower_only) {
  if (s.size() != n) return false;
  for (char c : s) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (!lower_only && c >= 'A' && c <= 'F');
    if (!ok) return false;
  }
  return true;
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.';
}

std::string temp_name(const fs::path& target) {
  return target.string() + ".tmp-" + std::to_string(getpid());
}

}  // namespace

std::string repo_folder_name(const std::string& model_id) {
  std::string folder = "models--" + model_id;
  for (size_t p; (p = folder.find('/')) != std::string::npos;) folder.replace(p, 1, "--");
  return folder;
}

bool is_valid_revision(const std::string& revision) {
  if (revision.empty() || revision.size() > 256) return false;
  std::string part;
  auto part_ok = [&part] { return !part.empty() && part != "." && part != ".."; };
  for (char c : revision) {
    if (c == '/') {
      if (!part_ok()) return false;
      part.clear();
    } else if (is_name_char(c)) {
      part.push_back(c);
    } else {
      return false;
    }
  }
  return part_ok();
}

bool is_commit_hash(const std::string& s) { return is_hex(s, 40, true); }
bool is_sha256_hex(const std::string& s) { return is_hex(s, 64, false); }

std::string normalize_etag(const std::string& header) {
  std::string e = header;
  if (e.rfind("W/", 0) == 0) e.erase(0, 2);
  if (e.size() >= 2 && e.front() == '"' && e.back() == '"') e = e.substr(1, e.size() - 2);
  if (e.empty() || e.size() > 128 || e.front() == '.' || e.find(".incomplete") != std::string::npos) return "";
  for (char c : e)
    if (!is_name_char(c)) return "";
  return e;
}

std::string url_encode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '.' || c == '_' || c == '~' || c == '-') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Status write_ref(const fs::path& repo, const std::string& revision, const std::string& commit) {
  const fs::path ref = repo / "refs" / revision;
  std::error_code ec;
  fs::create_directories(ref.parent_path(), ec);
  const std::string tmp = temp_name(ref);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << commit;
    if (!out.flush()) return make_error(ErrorCode::kInternal, "could not write " + tmp);
  }
  fs::rename(tmp, ref, ec);
  if (ec) return make_error(ErrorCode::kInternal, "could not write " + ref.string() + ": " + ec.message());
  return {};
}

Status link_snapshot_file(const fs::path& repo, const std::string& commit, const std::string& file,
                          const std::string& etag) {
  const fs::path link = repo / "snapshots" / commit / file;
  std::error_code ec;
  fs::create_directories(link.parent_path(), ec);
  std::string target;
  for (size_t depth = 2 + static_cast<size_t>(std::count(file.begin(), file.end(), '/')); depth > 0; --depth) {
    target += "../";
  }
  target += "blobs/" + etag;
  const std::string tmp = temp_name(link);
  fs::remove(tmp, ec);
  fs::create_symlink(target, tmp, ec);
  if (!ec) fs::rename(tmp, link, ec);
  if (ec) return make_error(ErrorCode::kInternal, "could not link " + link.string() + ": " + ec.message());
  return {};
}

}  // namespace verdict::hub
