#include "testing/testdata.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

namespace verdict::testing {

std::filesystem::path testdata_dir() {
  if (const char* env = std::getenv("VERDICT_TESTDATA"); env && *env) return env;
  return VERDICT_TESTDATA_DEFAULT;
}

std::filesystem::path model_dir(const std::string& name) { return testdata_dir() / "models" / name; }

std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path) {
  std::vector<nlohmann::json> rows;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  }
  return rows;
}

std::filesystem::path make_temp_dir(const std::string& prefix) {
  std::string templ = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  if (!::mkdtemp(templ.data())) ADD_FAILURE() << "mkdtemp failed";
  return templ;
}

}  // namespace verdict::testing
