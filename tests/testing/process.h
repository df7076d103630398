// Runs a program with arguments and standard input, capturing its output (for e2e tests).
#pragma once

#include <string>
#include <vector>

namespace verdict::testing {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// argv[0] is the program path. stdin_data is written to its standard input, then closed.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& stdin_data = "");

// $VERDICT_BIN: the verdict binary under test (set by CTest).
std::string verdict_binary();

}  // namespace verdict::testing
