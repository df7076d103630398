// Shared helpers for tests: where the golden data lives, and reading its JSON-lines files.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace verdict::testing {

// $VERDICT_TESTDATA, else the path CMake was configured with (../shared/testdata).
std::filesystem::path testdata_dir();

// testdata_dir()/models/<name>: one of the golden models.
std::filesystem::path model_dir(const std::string& name);

// Every line of a JSON-lines file, parsed; fails the calling test if the file is missing.
std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path);

// A fresh, empty temporary directory, removed by the caller (or left in /tmp).
std::filesystem::path make_temp_dir(const std::string& prefix);

}  // namespace verdict::testing
