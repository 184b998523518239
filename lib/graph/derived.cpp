#include "graph/derived.hpp"

#include <algorithm>
#include <mutex>

namespace tessera {

struct Graph::Derived {
  std::size_t nodes = 0;  // the graph's size when made: a graph only grows
  std::shared_ptr<const graph::Dependents> dependents;
  std::vector<NodeId> order_outputs;
  std::shared_ptr<const std::vector<std::uint32_t>> order;
  std::shared_ptr<const std::vector<std::uint64_t>> node_tokens;
};

namespace graph {
namespace {

// One lock for every graph's cache: taken once or twice per run, held while
// a missing piece is made (concurrent computes of one graph make it once).
std::mutex derived_mutex;

}  // namespace

template <class F>
auto with_derived(const Graph& graph, F&& f) {
  graph.validate_structure();  // key references resolved: the edges are all there
  std::lock_guard lock(derived_mutex);
  auto& slot = graph.derived_;
  if (!slot || slot->nodes != graph.size()) {
    slot = std::make_shared<Graph::Derived>();
    slot->nodes = graph.size();
  }
  return f(*slot);
}

std::shared_ptr<const Dependents> dependents_of(const Graph& graph) {
  return with_derived(graph, [&](auto& d) {
    if (!d.dependents) d.dependents = std::make_shared<const Dependents>(graph);
    return d.dependents;
  });
}

std::shared_ptr<const std::vector<std::uint32_t>> order_of(const Graph& graph, std::span<const NodeId> outputs) {
  return with_derived(graph, [&](auto& d) {
    if (!d.order || !std::equal(outputs.begin(), outputs.end(), d.order_outputs.begin(), d.order_outputs.end())) {
      d.order = std::make_shared<const std::vector<std::uint32_t>>(order(graph, outputs));
      d.order_outputs.assign(outputs.begin(), outputs.end());
    }
    return d.order;
  });
}

std::shared_ptr<const std::vector<std::uint64_t>> node_tokens_of(const Graph& graph) {
  return with_derived(graph, [&](auto& d) {
    if (!d.node_tokens) d.node_tokens = std::make_shared<const std::vector<std::uint64_t>>(graph.node_tokens());
    return d.node_tokens;
  });
}

}  // namespace graph
}  // namespace tessera
