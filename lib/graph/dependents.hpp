#pragma once
// The reverse edges of a graph: for each node, the nodes that depend on it,
// in one flat array (built once, in two passes over the dependencies).
#include <tessera/graph.hpp>

#include <span>
#include <vector>

namespace tessera::graph {

class Dependents {
 public:
  explicit Dependents(const Graph& graph) : offset_(graph.size() + 1, 0) {
    const std::size_t n = graph.size();
    for (NodeId id = 0; id < n; ++id) {
      for (NodeId dep : graph.deps(id)) ++offset_[dep + 1];
    }
    for (std::size_t i = 0; i < n; ++i) offset_[i + 1] += offset_[i];
    users_.resize(offset_[n]);
    std::vector<std::uint32_t> fill(offset_.begin(), offset_.end() - 1);
    for (NodeId id = 0; id < n; ++id) {
      for (NodeId dep : graph.deps(id)) users_[fill[dep]++] = id;
    }
  }

  std::span<const NodeId> of(NodeId id) const { return {users_.data() + offset_[id], offset_[id + 1] - offset_[id]}; }

 private:
  std::vector<std::uint32_t> offset_;
  std::vector<NodeId> users_;
};

}  // namespace tessera::graph
