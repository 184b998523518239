#pragma once
// What the collections' graph builders share (the DataFrame's and the Bag's):
// layers added once per (name, token), so that an input two consumers read
// is built once; exchanges; and trees that merge results eight at a time.
#include <tessera/graph.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tessera::graph {

class LayerBuilder {
 public:
  /// A layer of `count` tasks whose task i reads `inputs_of(i)`; the first
  /// task's id (the others follow it). Added once per (name, token).
  NodeId add_layer(KeyName name, std::uint64_t token, std::int64_t count, std::shared_ptr<const Layer> layer,
                   const Graph::LayerInputs& inputs_of);
  /// An exchange (include/tessera/exchange.hpp) of the `count` senders from
  /// `first_sender` on into `parts` parts. Added once per (name, token).
  NodeId add_exchange(KeyName name, std::uint64_t token, NodeId first_sender, std::int64_t count, std::int64_t parts);
  /// Merges `count` results from node `first` on eight at a time, level by
  /// level, until one is left (the last level named `op`, the others
  /// `op-combine`); returns the last node. `layer(final)` runs a merge.
  NodeId add_merge_tree(NodeId first, std::int64_t count, const std::string& op, std::uint64_t token,
                        const std::function<std::shared_ptr<const Layer>(bool final)>& layer);
  /// Every node of `other` (a Delayed graph, another collection's), copied
  /// in; returns each one's id here.
  std::vector<NodeId> add_graph(const Graph& other);
  /// Nodes added by hand (persisted partitions) that stand for the layer (name, token).
  void remember(KeyName name, std::uint64_t token, NodeId first);
  /// The layer (name, token), if added.
  std::optional<NodeId> find(KeyName name, std::uint64_t token) const;

  Graph& graph() { return graph_; }
  Graph take() { return std::move(graph_); }

 private:
  Graph graph_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, NodeId> first_;
};

}  // namespace tessera::graph
