#pragma once
/// Memory: each rank's budget, spilling to disk, and what a rank holds.
///
///     tessera::MemoryOptions memory;
///     memory.limit = tessera::parse_memory_limit("4GiB");  // or TESSERA_MEMORY_LIMIT, or --memory-limit
///     memory.spill_dir = "/scratch/me";                   // or TESSERA_SPILL_DIR, or --spill-dir
///     tessera::configure_memory(memory);
///
///     // In a task that builds a large temporary, say so while it lives:
///     tessera::TrackedAllocation scratch(n * sizeof(double));
///
/// Each rank counts the bytes of the results it holds (their exact nbytes()),
/// of the results it is receiving or reading back, and of what running tasks
/// report through TrackedAllocation. Above `target` times the limit, the
/// least recently used results that no running task uses are compressed
/// (LZ4) into files in a directory of their own under the spill directory,
/// and read back when a task needs them; so are persisted results
/// (persisted.hpp) that nothing is using. The directory is removed when the
/// process ends, also after an error. Without a limit set, a rank's limit is
/// the node's RAM divided among the ranks on the node.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tessera {

struct MemoryOptions {
  std::uint64_t limit = 0;   // bytes per rank; 0: TESSERA_MEMORY_LIMIT, else RAM / ranks on the node
  double target = 0;         // spill above this fraction of the limit; 0: TESSERA_MEMORY_TARGET, else 0.6
  std::string spill_dir;     // empty: TESSERA_SPILL_DIR, else TMPDIR, else /tmp
  bool force_spill = false;  // debugging: spill every result as soon as no task uses it (TESSERA_FORCE_SPILL=1)
};

/// A --memory-limit text: a size ("512MiB", "4GB", or whole bytes "1000000")
/// or a percentage of the node's RAM ("25%"). InputError naming the text and
/// these forms otherwise: a bare "0.5" or "1.0" is neither.
std::uint64_t parse_memory_limit(std::string_view text);

/// Sets this rank's budget; unset fields take their defaults. Call it
/// between computes (a Runtime calls it once with the defaults).
void configure_memory(const MemoryOptions& options);

struct MemoryStatus {
  std::uint64_t limit = 0;               // this rank's budget
  std::uint64_t target = 0;              // results spill above this
  std::uint64_t tracked_bytes = 0;       // held in memory now
  std::uint64_t peak_tracked_bytes = 0;  // most held at once since the last reset_peak_memory()
  std::uint64_t spilled_bytes = 0;       // results on disk now (their size in memory)
  std::uint64_t spilled_total = 0;       // bytes written to disk since the process started
  std::uint64_t unspilled_total = 0;     // bytes read back since the process started
  double spill_write_seconds = 0;        // time while this rank was writing spill files
  double spill_read_seconds = 0;         // and reading them back
  bool force_spill = false;
  std::string spill_dir;                 // this process's own directory (created at the first spill)
  std::uint64_t peak_rss_bytes = 0;      // the process's peak resident memory (VmHWM), 0 where unknown
};

MemoryStatus memory_status();
/// Starts a new peak from what is held now.
void reset_peak_memory();

/// Counts `bytes` against this rank's budget while it lives (a task's
/// temporary that is not a result yet).
class TrackedAllocation {
 public:
  explicit TrackedAllocation(std::size_t bytes);
  ~TrackedAllocation();
  TrackedAllocation(const TrackedAllocation&) = delete;
  TrackedAllocation& operator=(const TrackedAllocation&) = delete;
  void resize(std::size_t bytes);

 private:
  std::size_t bytes_ = 0;
};

}  // namespace tessera
