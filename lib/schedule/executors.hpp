#pragma once
#include "schedule/run_state.hpp"

namespace tessera::schedule {

/// One task at a time, in the graph's order, on the calling thread.
void run_sync(RunState& state);

class ThreadPool;

/// A work-stealing pool of `threads` workers (`pool` if given and of that size, else the shared one).
void run_threads(RunState& state, unsigned threads, ThreadPool* pool = nullptr);

/// A graph run on this process alone (sync, or threads on `pool` / the shared pool).
std::vector<Value> compute_here(const Graph& graph, std::span<const NodeId> outputs, const ComputeOptions& options,
                                ThreadPool* pool);
std::vector<PersistedResult> persist_here(const Graph& graph, std::span<const NodeId> outputs,
                                          const ComputeOptions& options, ThreadPool* pool);

}  // namespace tessera::schedule
