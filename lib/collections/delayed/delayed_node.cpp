// Delayed graphs at run time: turn the linked DelayedNodes reachable from
// the outputs into a Graph (post-order, so ids are topological and only what
// the outputs need is included), then hand it to compute_nodes.
#include <tessera/delayed.hpp>

#include <atomic>
#include <unordered_map>

namespace tessera::detail {

DelayedNode::~DelayedNode() {
  // Releasing deps recursively would put a chain's whole length on the
  // stack. Instead the first destructor on this thread drains a work list;
  // nested destructors only add to it.
  thread_local std::vector<DelayedNodePtr> pending;
  thread_local bool draining = false;
  for (auto& dep : deps) {
    if (dep.use_count() == 1) pending.push_back(std::move(dep));
  }
  deps.clear();
  if (draining) return;
  draining = true;
  while (!pending.empty()) {
    DelayedNodePtr last = std::move(pending.back());
    pending.pop_back();
    last.reset();  // may push its own deps onto `pending`
  }
  draining = false;
}

std::int64_t next_delayed_index() {
  static std::atomic<std::int64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

Graph delayed_graph(std::span<const DelayedNodePtr> outputs, std::vector<NodeId>& ids,
                    const NodeSubstitute& substitute) {
  Graph graph;
  std::unordered_map<const DelayedNode*, NodeId> id_of;
  auto resolve = [&](const DelayedNode* node) { return substitute ? substitute(node) : node; };
  struct Frame {
    const DelayedNode* node;
    std::uint32_t next;
  };
  std::vector<Frame> stack;
  std::vector<NodeId> dep_ids;
  ids.clear();
  for (const auto& out : outputs) {
    const DelayedNode* root = resolve(out.get());
    if (!id_of.count(root)) {
      stack.push_back({root, 0});
      while (!stack.empty()) {
        Frame& top = stack.back();
        if (top.next < top.node->deps.size()) {
          const DelayedNode* dep = resolve(top.node->deps[top.next++].get());
          if (!id_of.count(dep)) stack.push_back({dep, 0});
          continue;
        }
        const DelayedNode* node = top.node;
        stack.pop_back();
        if (id_of.count(node)) continue;  // reached twice while on the stack (diamond)
        dep_ids.clear();
        for (const auto& dep : node->deps) dep_ids.push_back(id_of.at(resolve(dep.get())));
        NodeId id = node->location >= 0 ? graph.add_persisted(node->key, node->data, node->location, node->nbytes)
                                         : graph.add_resolved(node->key, node->fn, node->data, dep_ids);
        if (node->restricted_to >= 0) graph.restrict_to_rank(id, node->restricted_to);
        id_of.emplace(node, id);
      }
    }
    ids.push_back(id_of.at(root));
  }
  return graph;
}

namespace {
// The Graph for `outputs`, fused when asked; ids are the outputs' nodes in it.
Graph prepared_graph(std::span<const DelayedNodePtr> outputs, const ComputeOptions& options, std::vector<NodeId>& ids) {
  Graph graph = delayed_graph(outputs, ids);
  if (!options.fuse) return graph;
  std::vector<Key> keep;
  for (NodeId id : ids) keep.push_back(graph.node(id).key);
  Graph fused = fuse_linear(graph, keep);
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = fused.find(keep[i]);
  return fused;
}
}  // namespace

std::vector<Value> compute_delayed(std::span<const DelayedNodePtr> outputs, const ComputeOptions& options) {
  std::vector<NodeId> ids;
  Graph graph = prepared_graph(outputs, options, ids);
  return compute_nodes(graph, ids, options);
}

std::vector<PersistedResult> persist_delayed(std::span<const DelayedNodePtr> outputs, const ComputeOptions& options) {
  std::vector<NodeId> ids;
  Graph graph = prepared_graph(outputs, options, ids);
  return persist_nodes(graph, ids, options);
}

}  // namespace tessera::detail
