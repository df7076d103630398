#include "verdict/hub/progress_bar.h"

#include <unistd.h>

#include <cstdio>

namespace verdict::hub {

bool stderr_is_tty() { return isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(std::string label, bool enabled) : label_(std::move(label)), enabled_(enabled) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(uint64_t done, uint64_t total) {
  if (!enabled_) return;
  if (first_done_ == UINT64_MAX) first_done_ = done;  // bytes resumed are not part of the rate
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done - first_done_) / seconds / 1e6 : 0;
  constexpr int kWidth = 30;
  std::string bar;
  if (total > 0) {
    const int filled = static_cast<int>(kWidth * static_cast<double>(done) / static_cast<double>(total));
    bar = "[" + std::string(std::min(filled, kWidth), '#') + std::string(kWidth - std::min(filled, kWidth), ' ') + "]";
    std::fprintf(stderr, "\r%-28.28s %s %5.1f%% %8.1f/%.1f MB %6.1f MB/s", label_.c_str(), bar.c_str(),
                 100.0 * static_cast<double>(done) / static_cast<double>(total), static_cast<double>(done) / 1e6,
                 static_cast<double>(total) / 1e6, rate);
  } else {
    std::fprintf(stderr, "\r%-28.28s %8.1f MB %6.1f MB/s", label_.c_str(), static_cast<double>(done) / 1e6, rate);
  }
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (drawn_) std::fputc('\n', stderr);
  drawn_ = false;
}

}  // namespace verdict::hub
