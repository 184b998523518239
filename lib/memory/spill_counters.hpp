#pragma once
// What this thread has written to and read back from spill files, and the
// time it took: a task's records (lib/diagnostics/task_log.hpp) take the
// difference across the task. Per thread, so that counting takes no lock.
#include <cstdint>

namespace tessera::memory {

struct SpillCounters {
  std::uint64_t bytes_written = 0;
  std::uint64_t bytes_read = 0;
  std::uint64_t nanoseconds = 0;  // writing and reading
};

SpillCounters& this_thread_spills();

}  // namespace tessera::memory
