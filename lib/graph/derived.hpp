#pragma once
// What every run derives from a graph alone: its reverse edges, the order
// toward a set of outputs, and its node tokens (for the ranks' fingerprint
// check). Made on first use and kept with the graph while it is unchanged, so
// computing the same graph again (an Array computed twice, a persisted array
// used by many computes) costs no O(n) rebuild on rank 0 or anywhere else.
#include "graph/dependents.hpp"

#include <tessera/graph.hpp>

#include <memory>
#include <span>
#include <vector>

namespace tessera::graph {

std::shared_ptr<const Dependents> dependents_of(const Graph& graph);
/// order(graph, outputs), kept for the last outputs asked for.
std::shared_ptr<const std::vector<std::uint32_t>> order_of(const Graph& graph, std::span<const NodeId> outputs);
std::shared_ptr<const std::vector<std::uint64_t>> node_tokens_of(const Graph& graph);

/// A root: a node none of whose inputs is computed (any it has are data), so
/// it can run as soon as a run starts: a file read, a generator, data itself.
/// What placement holds back and the root gate parks.
inline bool is_root(const Graph& graph, NodeId id) {
  for (NodeId dep : graph.deps(id)) {
    if (!graph.node(dep).is_data()) return false;
  }
  return true;
}

}  // namespace tessera::graph
