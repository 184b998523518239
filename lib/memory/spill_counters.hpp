#pragma once
// What this thread has written to and read back from spill files, and the
// time it took: a task's records (lib/diagnostics/task_log.hpp) take the
// difference across the task. Per thread, so that counting takes no lock.
#include <chrono>
#include <cstdint>

namespace tessera::memory {

struct SpillCounters {
  std::uint64_t bytes_written = 0;
  std::uint64_t bytes_read = 0;
  std::uint64_t nanoseconds = 0;  // writing and reading
};

SpillCounters& this_thread_spills();

/// Nanoseconds on the steady clock: what the spill counters and the task records (diagnostics) time with.
inline std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace tessera::memory
