#include "graph/layer_builder.hpp"

#include <tessera/token.hpp>

#include <algorithm>
#include <vector>

namespace tessera::graph {

NodeId LayerBuilder::add_layer(KeyName name, std::uint64_t token, std::int64_t count, std::shared_ptr<const Layer> layer,
                               const Graph::LayerInputs& inputs_of) {
  if (auto known = find(name, token)) return *known;
  const std::int64_t grid[1] = {count};
  const NodeId first = graph_.add_layer(name, token, grid, std::move(layer), inputs_of);
  remember(name, token, first);
  return first;
}

NodeId LayerBuilder::add_exchange(KeyName name, std::uint64_t token, NodeId first_sender, std::int64_t count,
                                  std::int64_t parts) {
  if (auto known = find(name, token)) return *known;
  std::vector<NodeId> senders(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < senders.size(); ++i) senders[i] = first_sender + static_cast<NodeId>(i);
  const std::int64_t none[1] = {0};
  const NodeId node = graph_.add_exchange(Key(name, token, none), senders, parts);
  remember(name, token, node);
  return node;
}

NodeId LayerBuilder::add_merge_tree(NodeId first, std::int64_t count, const std::string& op, std::uint64_t token,
                                    const std::function<std::shared_ptr<const Layer>(bool final)>& layer) {
  constexpr std::int64_t split_every = 8;
  NodeId level = first;
  for (int depth = 0;; ++depth) {
    const bool final = count <= split_every;
    const std::int64_t next = final ? 1 : (count + split_every - 1) / split_every;
    const NodeId below = level;
    const std::int64_t below_count = count;
    TokenHasher h;
    h.mix(token);
    h.add(depth);
    level = add_layer(KeyName(final ? op : op + "-combine"), final ? token : h.value(), next, layer(final),
                      [&](std::span<const std::int64_t> block, std::vector<NodeId>& deps) {
                        const std::int64_t from = block[0] * split_every;
                        const std::int64_t to = std::min(below_count, from + split_every);
                        for (std::int64_t i = from; i < to; ++i) deps.push_back(below + static_cast<NodeId>(i));
                      });
    if (final) return level;
    count = next;
  }
}

std::vector<NodeId> LayerBuilder::add_graph(const Graph& other) {
  std::vector<NodeId> new_id(other.size());
  std::vector<NodeId> deps;
  for (NodeId id = 0; id < other.size(); ++id) {
    deps.clear();
    for (NodeId d : other.deps(id)) deps.push_back(new_id[d]);
    new_id[id] = graph_.add_copy(other.node(id), deps);
  }
  return new_id;
}

void LayerBuilder::remember(KeyName name, std::uint64_t token, NodeId first) {
  first_.emplace(std::make_pair(name.hash(), token), first);
}

std::optional<NodeId> LayerBuilder::find(KeyName name, std::uint64_t token) const {
  auto it = first_.find(std::make_pair(name.hash(), token));
  if (it == first_.end()) return std::nullopt;
  return it->second;
}

}  // namespace tessera::graph
