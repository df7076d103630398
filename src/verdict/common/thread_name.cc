#include "verdict/common/thread_name.h"

#include <pthread.h>

#include <cstring>

namespace verdict {

void name_this_thread(const char* name) {
  char truncated[16] = {};
  std::strncpy(truncated, name, sizeof(truncated) - 1);  // the kernel refuses longer names
  pthread_setname_np(pthread_self(), truncated);
}

}  // namespace verdict
