#include "verdict/hub/hub_api.h"

#include <gtest/gtest.h>

namespace verdict::hub {
namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(HubApiTest, TheTokenGoesOnlyToTheEndpointsOwnOrigin) {
  HubSettings hub;
  hub.endpoint = "https://huggingface.co";
  hub.token = "hf_secret";
  EXPECT_EQ(auth_headers(hub, "https://huggingface.co/acme/m/resolve/main/config.json"),
            std::vector<std::string>{"Authorization: Bearer hf_secret"});
  EXPECT_EQ(auth_headers(hub, "https://HuggingFace.co:443/x"), std::vector<std::string>{"Authorization: Bearer hf_secret"});
  for (const char* elsewhere : {"https://cdn-lfs.huggingface.co/repos/x", "http://huggingface.co/x",
                                "https://huggingface.co.evil.example/x", "https://huggingface.co:8443/x", "not a url"}) {
    EXPECT_TRUE(auth_headers(hub, elsewhere).empty()) << elsewhere;
  }
  hub.token.clear();
  EXPECT_TRUE(auth_headers(hub, "https://huggingface.co/x").empty());
}

TEST(HubApiTest, ErrorsSayWhatToDoAndNameTheModel) {
  HubSettings hub;
  const auto gated = hub_http_error(hub, 401, "GatedRepo", "acme/m", "main");
  EXPECT_TRUE(contains(gated.message, "acme/m") && contains(gated.message, "gated") && contains(gated.message, "HF_TOKEN"))
      << gated.message;
  hub.token = "hf_secret";
  const auto refused = hub_http_error(hub, 403, "", "acme/m", "main");
  EXPECT_TRUE(contains(refused.message, "HF_TOKEN") && !contains(refused.message, "hf_secret")) << refused.message;
  const auto repo = hub_http_error(hub, 401, "RepoNotFound", "acme/m", "main");
  EXPECT_TRUE(contains(repo.message, "not found")) << repo.message;
  const auto rev = hub_http_error(hub, 404, "RevisionNotFound", "acme/m", "v9");
  EXPECT_TRUE(contains(rev.message, "revision 'v9'") && contains(rev.message, "not found")) << rev.message;
  const auto file = hub_http_error(hub, 404, "EntryNotFound", "acme/m", "main", "vocab.txt");
  EXPECT_TRUE(contains(file.message, "vocab.txt") && contains(file.message, "not found")) << file.message;
  EXPECT_EQ(hub_http_error(hub, 404, "", "acme/m", "main").code, ErrorCode::kNotFound);
  const auto down = hub_unreachable(hub, "acme/m", "Couldn't resolve host name");
  EXPECT_TRUE(contains(down.message, "could not reach") && contains(down.message, "HF_HUB_OFFLINE")) << down.message;
}

}  // namespace
}  // namespace verdict::hub
