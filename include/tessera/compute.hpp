#pragma once
/// compute: run a graph and get its outputs.
///
///     tessera::ComputeOptions options{.scheduler = tessera::SchedulerKind::sync};
///     std::vector<tessera::Value> out = tessera::compute(graph, {tessera::Key("z")}, options);
///     int z = out[0].get<int>();
///
/// The schedulers: `sync` runs one task at a time in the graph's order on the
/// calling thread (deterministic, for debugging); `threads` runs on a
/// work-stealing pool of `threads` workers (default TESSERA_THREADS, else the
/// cores available). Both free each result as soon as no remaining task needs
/// it; outputs are kept and returned. A task that throws stops the run: no
/// further task starts and compute throws TaskError naming the task's key.
#include <tessera/graph.hpp>
#include <tessera/persisted.hpp>
#include <tessera/progress.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace tessera {

/// `threads` is the default: under a Runtime of several ranks it means the
/// distributed scheduler (rank 0 assigns, every rank runs tasks on its pool).
/// `sync` always runs the whole graph on the calling thread of each rank.
enum class SchedulerKind { sync, threads, distributed };

/// What a run did, for tests and benchmarks.
struct ComputeStats {
  std::size_t tasks_run = 0;          // tasks whose function was called
  std::size_t peak_live_results = 0;  // most results held at once, outputs included
  std::size_t peak_live_bytes = 0;    // their nbytes() at that moment (in memory or spilled)
  /// This rank's memory budget over the run (include/tessera/memory.hpp):
  /// the most bytes it held in memory at once, its limit, and what the run
  /// wrote to and read back from spill files.
  std::uint64_t peak_memory_bytes = 0;
  std::uint64_t memory_limit = 0;
  std::uint64_t spilled_bytes = 0;
  std::uint64_t unspilled_bytes = 0;
  unsigned threads = 0;
  int rank = 0;                        // the rank these figures are from
  std::size_t bytes_received = 0;      // result bytes this rank received from other ranks
  std::size_t bytes_transferred_in = 0;  // of which point to point while tasks ran (not the outputs' broadcast)
  /// With ComputeOptions::record_schedule, on every rank: where each task ran,
  /// and the order in which the tasks finished (as rank 0 saw it).
  std::vector<std::pair<Key, int>> placement;
  std::vector<Key> completion_order;
};

struct ComputeOptions {
  SchedulerKind scheduler = SchedulerKind::threads;
  unsigned threads = 0;           // 0: TESSERA_THREADS, else the cores available
  bool cull = true;               // drop what the outputs do not need
  bool fuse = false;              // fuse linear chains into single tasks
  ComputeStats* stats = nullptr;  // filled in when given
  bool record_schedule = false;   // fill stats->placement and stats->completion_order
  std::optional<ProgressMode> progress{};  // unset: default_progress()
  /// persist() only: where to checkpoint its outputs (include/tessera/checkpoint.hpp);
  /// unset: default_checkpoint_dir(); empty: none.
  std::optional<std::string> checkpoint_dir{};
};

/// A result kept where it was computed: `value` is set on `holder` only
/// (on every rank for a single-rank run, holder -1). It counts against the
/// rank's memory budget and spills to disk like any result; `value.get()`
/// (or converting it to a Value) reads it back (persisted.hpp). It is freed,
/// and its disk copy removed, when the last PersistedResult, collection or
/// graph referring to it goes.
struct PersistedResult {
  PersistedValue value;
  int holder = 0;
  std::uint64_t nbytes = 0;
};

/// The workers `threads` resolves to: TESSERA_THREADS when set, else the cores available.
unsigned default_thread_count();

std::vector<Value> compute(const Graph& graph, std::span<const Key> outputs, const ComputeOptions& options = {});
inline std::vector<Value> compute(const Graph& graph, std::initializer_list<Key> outputs,
                                  const ComputeOptions& options = {}) {
  return compute(graph, std::span<const Key>(outputs.begin(), outputs.size()), options);
}

/// For graph builders that already hold node ids; `cull` is ignored (the
/// caller built only what the outputs need).
std::vector<Value> compute_nodes(const Graph& graph, std::span<const NodeId> outputs,
                                 const ComputeOptions& options = {});

/// Like compute_nodes, but the results stay on the ranks that made them.
std::vector<PersistedResult> persist_nodes(const Graph& graph, std::span<const NodeId> outputs,
                                           const ComputeOptions& options = {});

}  // namespace tessera
