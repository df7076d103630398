#include "fuzz_util.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace verdict::fuzz {

std::filesystem::path testdata_dir() {
  if (const char* env = std::getenv("VERDICT_TESTDATA"); env && *env) return env;
  return VERDICT_FUZZ_TESTDATA;
}

std::filesystem::path model_dir(const char* env_var, const char* default_name) {
  if (const char* env = std::getenv(env_var); env && *env) return env;
  return testdata_dir() / "models" / default_name;
}

void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what.c_str());
  std::abort();
}

MemFile::MemFile() {
  fd_ = ::memfd_create("verdict-fuzz", MFD_CLOEXEC);
  check(fd_ >= 0, "memfd_create failed");
  path_ = "/proc/self/fd/" + std::to_string(fd_);
}

MemFile::~MemFile() {
  if (fd_ >= 0) ::close(fd_);
}

void MemFile::write(const uint8_t* data, size_t size) {
  check(::ftruncate(fd_, 0) == 0, "ftruncate failed");
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
    check(n > 0, "pwrite failed");
    done += static_cast<size_t>(n);
  }
}

}  // namespace verdict::fuzz
