#pragma once
// The progress display (include/tessera/progress.hpp). A run describes
// itself through a ProgressSource and holds a ProgressDisplay while it runs;
// one thread per process, started by the first displayed run, reads the
// source and draws. The run's own threads only bump counters they keep
// anyway, so a run pays nothing for being watched.
#include <tessera/compute.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace tessera::schedule {

struct RankMemory {
  std::uint64_t tracked = 0;
  std::uint64_t spilled = 0;
};

/// Read from the display thread while the run goes on: the answers may be a moment old.
class ProgressSource {
 public:
  virtual ~ProgressSource() = default;
  virtual bool task_done(NodeId id) const = 0;
  virtual std::size_t tasks_done() const = 0;
  /// Memory per rank; the empty vector: this rank only, from its budget.
  virtual std::vector<RankMemory> rank_memory() const { return {}; }
};

class ProgressDisplay {
 public:
  /// Shows `source` while this object lives, if `mode` (or the default) says so and this is rank 0.
  ProgressDisplay(const Graph& graph, const ProgressSource& source, std::optional<ProgressMode> mode, int rank);
  ~ProgressDisplay();
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

 private:
  bool shown_ = false;
};

/// 'sum-3f2a9c' -> 'sum': a key name without its trailing hash or number parts (Dask's key_split).
std::string key_prefix(std::string_view name);

}  // namespace tessera::schedule
