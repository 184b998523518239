// Linear fusion: a chain a -> b -> c, where each link is a task's only
// dependent and that dependent's only dependency, runs as one task. It saves
// the scheduler a round per link and keeps the intermediate results out of
// the store. The fused task is named by the chain's last key; the keys in
// `keep` (outputs, persisted results) are never absorbed into another task.
#include <tessera/graph.hpp>

#include "graph/dependents.hpp"
#include "graph/task_error.hpp"


namespace tessera {
namespace {

Value run_link(const TaskFunction& fn, const Key& key, TaskArgs args) {
  try {
    return fn(args, key);
  } catch (...) {
    throw_error(graph::task_error_info(key, std::current_exception()));
  }
}

struct FusedChain {
  std::vector<TaskFunction> fns;  // head first
  std::vector<Key> keys;

  Value operator()(TaskArgs args) const {
    Value v = run_link(fns[0], keys[0], args);
    for (std::size_t i = 1; i < fns.size(); ++i) {
      const Value* input = &v;
      v = run_link(fns[i], keys[i], TaskArgs(&input, 1));
    }
    return v;
  }
};

}  // namespace

Graph fuse_linear(const Graph& graph, std::span<const Key> keep) {
  graph.validate();
  const auto n = static_cast<NodeId>(graph.size());
  const graph::Dependents dependents(graph);
  std::vector<std::uint8_t> kept(n, 0);
  for (const Key& key : keep) {
    if (graph.contains(key)) kept[graph.find(key)] = 1;
  }
  // absorbed[p]: p runs inside its only dependent.
  std::vector<std::uint8_t> absorbed(n, 0);
  for (NodeId id = 0; id < n; ++id) {
    const auto& node = graph.node(id);
    if (node.is_data() || kept[id] || dependents.of(id).size() != 1) continue;
    NodeId next = dependents.of(id)[0];
    if (!graph.node(next).is_data() && graph.deps(next).size() == 1) absorbed[id] = 1;
  }

  std::vector<NodeId> new_id(n, 0);
  NodeId count = 0;
  for (NodeId id = 0; id < n; ++id) {
    if (!absorbed[id]) new_id[id] = count++;
  }
  Graph out;
  std::vector<NodeId> deps;
  std::vector<NodeId> chain;
  for (NodeId id = 0; id < n; ++id) {
    if (absorbed[id]) continue;
    const auto& node = graph.node(id);
    chain.assign(1, id);
    while (graph.deps(chain.back()).size() == 1 && absorbed[graph.deps(chain.back())[0]]) {
      chain.push_back(graph.deps(chain.back())[0]);
    }
    deps.clear();
    for (NodeId dep : graph.deps(chain.back())) deps.push_back(new_id[dep]);
    if (chain.size() == 1) {
      out.add_copy(node, deps);
      continue;
    }
    FusedChain fused;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      fused.fns.push_back(graph.node(*it).fn);
      fused.keys.push_back(graph.node(*it).key);
    }
    const NodeId fused_id = out.add_resolved(node.key, TaskFunction(std::move(fused)), Value(), deps);
    // The chain's head reads what the fused task now reads: an exchange part stays said.
    if (const auto part = graph.node(chain.back()).exchange_part; part >= 0) out.reads_exchange_part(fused_id, part);
  }
  return out;
}

}  // namespace tessera
