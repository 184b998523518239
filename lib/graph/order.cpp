// Ordering: which ready task to run first.
//
// Policy (the idea of dask.order, in its simplest robust form): walk
// depth-first from each output, in the order the outputs were asked for, and
// number the tasks in post-order. Among a task's dependencies the one with
// the largest cone of work goes first (Sethi-Ullman): the results of the
// small ones are then made just before they are used instead of waiting
// through the large one. On a tree reduction this finishes each subtree
// before starting the next, so the number of live results grows with the
// tree's depth, not its width.
//
// State: two iterative depth-first passes (the first sizes each cone, the
// second numbers the tasks); no recursion, so a chain of a million tasks is fine.
#include <tessera/graph.hpp>

#include <algorithm>
#include <limits>

namespace tessera {
namespace {

constexpr std::uint32_t unvisited = std::numeric_limits<std::uint32_t>::max();

// Post-order walk from `roots`; calls visit(node) once per reachable node,
// after its dependencies. deps_of(node) gives the dependency order to walk.
template <class DepsOf, class Visit>
void post_order(std::span<const NodeId> roots, DepsOf deps_of, Visit visit,
                std::vector<std::uint8_t>& seen) {
  struct Frame {
    NodeId node;
    std::uint32_t next;
  };
  std::vector<Frame> stack;
  for (NodeId root : roots) {
    if (seen[root]) continue;
    seen[root] = 1;
    stack.push_back({root, 0});
    while (!stack.empty()) {
      Frame& top = stack.back();
      auto deps = deps_of(top.node);
      if (top.next == deps.size()) {
        visit(top.node);
        stack.pop_back();
        continue;
      }
      NodeId dep = deps[top.next++];
      if (!seen[dep]) {
        seen[dep] = 1;
        stack.push_back({dep, 0});
      }
    }
  }
}

}  // namespace

std::vector<std::uint32_t> order(const Graph& graph, std::span<const NodeId> outputs) {
  graph.validate_structure();
  const std::size_t n = graph.size();
  std::vector<NodeId> all_roots(outputs.begin(), outputs.end());
  for (NodeId id = 0; id < n; ++id) all_roots.push_back(id);  // then anything not reachable

  // Pass 1: the size of each task's cone (shared dependencies count once per
  // path; an estimate is enough to choose which branch to run first).
  std::vector<std::uint32_t> cone(n, 0);
  std::vector<std::uint8_t> seen(n, 0);
  auto natural = [&](NodeId id) { return graph.deps(id); };
  post_order(all_roots, natural, [&](NodeId id) {
    std::uint64_t total = 1;
    for (NodeId dep : graph.deps(id)) total += cone[dep];
    cone[id] = static_cast<std::uint32_t>(std::min<std::uint64_t>(total, unvisited - 1));
  }, seen);

  // Pass 2: heaviest dependency first, ties in argument order.
  std::vector<NodeId> sorted_deps;
  std::vector<std::uint32_t> dep_offset(n + 1, 0);
  for (NodeId id = 0; id < n; ++id) dep_offset[id + 1] = dep_offset[id] + graph.deps(id).size();
  sorted_deps.resize(dep_offset[n]);
  for (NodeId id = 0; id < n; ++id) {
    auto deps = graph.deps(id);
    auto* dst = sorted_deps.data() + dep_offset[id];
    std::copy(deps.begin(), deps.end(), dst);
    if (deps.size() > 1) {
      std::stable_sort(dst, dst + deps.size(), [&](NodeId a, NodeId b) { return cone[a] > cone[b]; });
    }
  }
  auto heaviest_first = [&](NodeId id) {
    return std::span<const NodeId>(sorted_deps.data() + dep_offset[id], dep_offset[id + 1] - dep_offset[id]);
  };
  std::vector<std::uint32_t> position(n, unvisited);
  std::fill(seen.begin(), seen.end(), 0);
  std::uint32_t next = 0;
  post_order(all_roots, heaviest_first, [&](NodeId id) { position[id] = next++; }, seen);
  return position;
}

}  // namespace tessera
