#pragma once
// Roots (tasks with no task inputs: a read from a file) whose every consumer
// also waits for computed work gain nothing from running early: their result
// would only be held, and held large. The second read of x in
// x - x.mean(axis=1) is one: its consumer needs all the row means first.
// The gate parks such a root when it comes up and lets it go once one of its
// consumers has all its computed inputs, so it is read just before it is used.
//
// A scheduler asks premature() for a root that is ready, park()s it, reports
// each finished task to finished(), which hands back the roots it frees, and
// takes the best parked root with take_best() when nothing else runs (a root
// whose consumers wait on each other in a cycle then still runs).
//
// State: per node counters made once per run, O(edges); not thread-safe.
#include "graph/dependents.hpp"

#include <tessera/graph.hpp>

#include <cstdint>
#include <optional>
#include <queue>
#include <utility>
#include <vector>

namespace tessera::schedule {

class RootGate {
 public:
  RootGate(const Graph& graph, const graph::Dependents& dependents);

  /// False when no root of the graph can be premature: then nothing need be reported.
  bool active() const { return active_; }
  /// A root all of whose consumers still wait for computed inputs.
  bool premature(NodeId task) const;
  void park(NodeId root, std::uint32_t priority);
  /// Counts `task` as done; appends the parked roots that may run now.
  void finished(NodeId task, std::vector<NodeId>& released);
  bool any_parked() const { return parked_count_ > 0; }
  /// The parked root first in priority, released; none when none is parked.
  std::optional<NodeId> take_best();

 private:
  const Graph& graph_;
  const graph::Dependents& dependents_;
  std::vector<std::uint8_t> root_;
  std::vector<std::uint8_t> parked_;  // per root: 0 never parked, 1 parked, 2 let go (never parked again)
  std::vector<std::uint32_t> waiting_;    // per task: computed (non-root) inputs not done
  std::vector<std::uint32_t> consumers_;  // per root: its consumer edges
  std::vector<std::uint32_t> blocked_;    // per root: of those, the ones whose consumer waits
  std::priority_queue<std::pair<std::uint32_t, NodeId>, std::vector<std::pair<std::uint32_t, NodeId>>,
                      std::greater<>>
      by_priority_;
  std::size_t parked_count_ = 0;
  bool active_ = false;
};

}  // namespace tessera::schedule
