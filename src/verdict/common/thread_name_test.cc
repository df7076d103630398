#include "verdict/common/thread_name.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <string>
#include <thread>

namespace verdict {
namespace {

std::string name_of_this_thread() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof(name));
  return name;
}

TEST(ThreadNameTest, NamesTheCallingThreadAndCutsLongNamesToFifteenCharacters) {
  std::string short_name, long_name;
  std::thread([&] {
    name_this_thread("verdict-compute");
    short_name = name_of_this_thread();
    name_this_thread("verdict-a-name-far-too-long");
    long_name = name_of_this_thread();
  }).join();
  EXPECT_EQ(short_name, "verdict-compute");
  EXPECT_EQ(long_name, "verdict-a-name-");
}

}  // namespace
}  // namespace verdict
