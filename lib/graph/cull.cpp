#include <tessera/graph.hpp>

namespace tessera {

Graph cull(const Graph& graph, std::span<const Key> outputs) {
  graph.validate();
  std::vector<std::uint8_t> needed(graph.size(), 0);
  std::vector<NodeId> stack;
  for (const Key& key : outputs) {
    NodeId id = graph.find(key);
    if (!needed[id]) {
      needed[id] = 1;
      stack.push_back(id);
    }
  }
  while (!stack.empty()) {
    NodeId id = stack.back();
    stack.pop_back();
    for (NodeId dep : graph.deps(id)) {
      if (!needed[dep]) {
        needed[dep] = 1;
        stack.push_back(dep);
      }
    }
  }
  // Keep the original relative order: ids stay a deterministic function of the input.
  std::vector<NodeId> new_id(graph.size(), 0);
  NodeId next = 0;
  for (NodeId id = 0; id < graph.size(); ++id) {
    if (needed[id]) new_id[id] = next++;
  }
  Graph out;
  std::vector<NodeId> deps;
  for (NodeId id = 0; id < graph.size(); ++id) {
    if (!needed[id]) continue;
    deps.clear();
    for (NodeId dep : graph.deps(id)) deps.push_back(new_id[dep]);
    const auto& n = graph.node(id);
    out.add_copy(n, deps);
  }
  return out;
}

}  // namespace tessera
