#include "verdict/hub/settings.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "verdict/common/file_util.h"
#include "verdict/hub/cache.h"

namespace verdict::hub {
namespace fs = std::filesystem;
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(0, 1);
  return s;
}

// $HF_TOKEN_PATH, else $HF_HOME/token, where `huggingface-cli login` stores it.
fs::path token_path() {
  if (auto p = env("HF_TOKEN_PATH"); !p.empty()) return p;
  if (auto h = env("HF_HOME"); !h.empty()) return fs::path(h) / "token";
  if (auto x = env("XDG_CACHE_HOME"); !x.empty()) return fs::path(x) / "huggingface" / "token";
  const auto home = env("HOME");
  return fs::path(home.empty() ? "/" : home) / ".cache" / "huggingface" / "token";
}

}  // namespace

bool env_flag(const char* name) {
  std::string v = env(name);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::toupper(c); });
  return v == "1" || v == "ON" || v == "YES" || v == "TRUE";
}

HubSettings settings_from_env() {
  HubSettings s;
  if (auto e = trim(env("HF_ENDPOINT")); !e.empty()) s.endpoint = e;
  while (!s.endpoint.empty() && s.endpoint.back() == '/') s.endpoint.pop_back();
  s.token = trim(env("HF_TOKEN"));
  if (s.token.empty()) {
    if (auto t = read_file(token_path(), 4096); t.ok()) s.token = trim(*t);
  }
  s.cache = cache_dir();
  s.offline = env_flag("HF_HUB_OFFLINE");
  return s;
}

}  // namespace verdict::hub
