#pragma once
// The state one run of a graph shares between its workers.
//
// Every node has two counters: `waiting` (dependencies not yet done; at zero
// the node is ready) and `holds` (dependents not yet done, plus one if it is
// an output; at zero its result is freed). Results live in a ResultStore,
// which keeps the rank within its memory budget by spilling those no
// running task uses; a task holds handles to its inputs while it runs.
#include <tessera/compute.hpp>

#include "graph/derived.hpp"
#include "schedule/progress.hpp"
#include "schedule/exchange_router.hpp"
#include "schedule/result_store.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

namespace tessera::schedule {

class RunState final : public ProgressSource {
 public:
  /// `persist`: the outputs are held as PersistedValues as soon as they are
  /// made (counted and spilled by the PersistedStore), for take_persisted().
  RunState(const Graph& graph, std::span<const NodeId> outputs, bool persist = false);

  const Graph& graph() const { return graph_; }
  std::size_t size() const { return graph_.size(); }
  std::span<const NodeId> dependents(NodeId id) const { return dependents_->of(id); }
  const graph::Dependents& all_dependents() const { return *dependents_; }
  /// Position in the memory-friendly order: lower runs first.
  std::uint32_t priority(NodeId id) const { return (*priority_)[id]; }
  /// Nodes with no dependencies, in priority order.
  const std::vector<NodeId>& initial_ready() const { return initial_ready_; }
  /// Every node, in priority order (a topological order).
  std::vector<NodeId> sequence() const;

  /// Runs one node and frees the inputs it was the last to need. Returns
  /// false (and records the error, first one wins) when the task threw.
  /// `chain`, for a thread that runs nodes back to back: the end of the last
  /// task it recorded (0 at first), taken as this one's start and updated,
  /// so that a recorded task reads the clock once, not twice.
  bool execute(NodeId id, std::int64_t* chain = nullptr);
  /// Counts one dependency of `dependent` as done; true when it became ready.
  bool satisfy(NodeId dependent) {
    return waiting_[dependent].fetch_sub(1, std::memory_order_acq_rel) == 1;
  }

  bool failed() const { return failed_.load(std::memory_order_acquire); }
  /// Throws the recorded error, if any.
  void rethrow_if_failed() const;
  std::vector<Value> take_outputs();
  std::vector<PersistedValue> take_persisted();
  /// Nodes in the order their tasks finished (tracked for every run: one counter per task).
  std::vector<NodeId> completion_order() const;
  void fill_stats(ComputeStats& stats) const;

  bool task_done(NodeId id) const override { return finished_as_[id].load(std::memory_order_relaxed) != 0; }
  std::size_t tasks_done() const override { return tasks_run_.load(std::memory_order_relaxed); }

 private:
  void release(NodeId id);

  const Graph& graph_;
  std::vector<NodeId> outputs_;
  std::shared_ptr<const std::vector<std::uint32_t>> priority_;  // kept with the graph (graph/derived.hpp)
  std::shared_ptr<const graph::Dependents> dependents_;
  std::vector<std::uint8_t> persisted_output_;  // per node, in a persist run
  std::vector<NodeId> initial_ready_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> waiting_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> holds_;
  ResultStore store_;
  ExchangeRouter exchanges_;  // one rank: an exchange gathers its senders' pieces as they finish
  const bool record_;         // task records (diagnostics/task_log.hpp), decided once per run

  std::atomic<std::size_t> tasks_run_{0};
  std::unique_ptr<std::atomic<std::uint32_t>[]> finished_as_;  // 1 + position among finished tasks, 0: not run

  std::atomic<bool> failed_{false};
  mutable std::mutex error_mutex_;
  std::optional<ErrorInfo> error_;
};

}  // namespace tessera::schedule
