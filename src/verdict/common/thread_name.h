// Names the calling thread (up to 15 characters) so that `top -H`, `ps -L`, gdb and perf show
// which of the server's threads is busy: verdict-compute, verdict-http, verdict-io, ...
#pragma once

namespace verdict {

void name_this_thread(const char* name);

}  // namespace verdict
