// hub::pull in-process against the fake Hub (the e2e test drives the binary; this one also runs
// under the sanitizers without the whole binary).
#include "verdict/hub/pull.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "testing/fake_hub.h"
#include "testing/testdata.h"

namespace verdict::hub {
namespace {
namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(PullTest, ResumesVerifiesLinksAndRefusesAWrongSha) {
  const auto golden = testing::testdata_dir() / "models" / "distilbert-sst2-tiny";
  testing::FakeHub fake("acme/m", golden);
  fake.required_token = "hf_t";
  fake.drop_downloads = 2;
  HubSettings hub;
  hub.endpoint = fake.endpoint();
  hub.token = "hf_t";
  hub.cache = testing::make_temp_dir("verdict-pull-");
  PullOptions options;
  auto dir = pull("acme/m", options, hub);
  ASSERT_TRUE(dir.ok()) << dir.error().message;
  EXPECT_EQ(slurp(*dir / "model.safetensors"), slurp(golden / "model.safetensors"));
  EXPECT_EQ(slurp(*dir / "vocab.txt"), slurp(golden / "vocab.txt"));
  EXPECT_EQ(fake.cdn_requests().size(), 3u);

  auto cached = resolve_or_pull("acme/m", "main", PullPolicy::kNever, hub);
  ASSERT_TRUE(cached.ok()) << cached.error().message;
  EXPECT_EQ(*cached, *dir);

  testing::FakeHub bad("acme/bad", golden);
  bad.wrong_sha = true;
  hub.endpoint = bad.endpoint();
  hub.token.clear();
  auto refused = pull("acme/bad", options, hub);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("sha256"), std::string::npos) << refused.error().message;
  EXPECT_FALSE(resolve_or_pull("acme/bad", "main", PullPolicy::kNever, hub).ok());
  auto missing = pull("acme/none", options, hub);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("not found"), std::string::npos) << missing.error().message;
  fs::remove_all(hub.cache);
}

}  // namespace
}  // namespace verdict::hub
