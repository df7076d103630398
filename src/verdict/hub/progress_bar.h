// One line of download progress on stderr, redrawn in place; silent unless stderr is a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace verdict::hub {

class ProgressBar {
 public:
  ProgressBar(std::string label, bool enabled);
  ~ProgressBar();
  void update(uint64_t done, uint64_t total);
  void finish();

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  uint64_t first_done_ = UINT64_MAX;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// Whether stderr is a terminal (a progress bar would be read, not logged).
bool stderr_is_tty();

}  // namespace verdict::hub
