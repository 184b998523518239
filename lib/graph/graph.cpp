#include <tessera/graph.hpp>
#include <tessera/token.hpp>

namespace tessera {
namespace {
[[noreturn]] void graph_error(std::string message, const Key& key, std::string hint = {}) {
  ErrorInfo info;
  info.kind = ErrorKind::graph;
  info.message = std::move(message);
  info.key = key.str();
  info.hint = std::move(hint);
  throw_error(std::move(info));
}
}  // namespace

NodeId Graph::add_data(Key key, Value value) {
  const std::uint64_t content = value.content_token();
  NodeId id = add_resolved(std::move(key), TaskFunction(), std::move(value), {});
  nodes_[id].content = content;
  return id;
}

NodeId Graph::add_task(Key key, TaskFunction fn, std::span<const Key> deps) {
  if (!fn) graph_error("add_task was given an empty task function", key);
  auto id = static_cast<NodeId>(nodes_.size());
  Node node{std::move(key), std::move(fn), Value(), static_cast<std::uint32_t>(dep_ids_.size()),
            static_cast<std::uint32_t>(deps.size())};
  for (const Key& dep : deps) {
    pending_.push_back({static_cast<std::uint32_t>(dep_ids_.size()), id, dep});
    dep_ids_.push_back(0);
  }
  nodes_.push_back(std::move(node));
  validated_ = false;
  return id;
}

NodeId Graph::add_resolved(Key key, TaskFunction fn, Value data, std::span<const NodeId> deps) {
  auto id = static_cast<NodeId>(nodes_.size());
  nodes_.push_back(Node{std::move(key), std::move(fn), std::move(data),
                        static_cast<std::uint32_t>(dep_ids_.size()), static_cast<std::uint32_t>(deps.size())});
  dep_ids_.insert(dep_ids_.end(), deps.begin(), deps.end());
  validated_ = false;
  return id;
}

NodeId Graph::add_copy(const Node& node, std::span<const NodeId> deps) {
  NodeId id = add_resolved(node.key, node.fn, node.data, deps);
  nodes_[id].location = node.location;
  nodes_[id].nbytes = node.nbytes;
  nodes_[id].annotations = node.annotations;
  nodes_[id].content = node.content;
  nodes_[id].persisted = node.persisted;
  nodes_[id].exchange_parts = node.exchange_parts;
  nodes_[id].exchange_part = node.exchange_part;
  return id;
}

namespace {
class LayerBody final : public detail::TaskBody {
 public:
  explicit LayerBody(std::shared_ptr<const Layer> layer) : layer_(std::move(layer)) {}
  Value run(TaskArgs args, const Key& key) const override { return layer_->run(key.index(), args); }

 private:
  std::shared_ptr<const Layer> layer_;
};
}  // namespace

TaskFunction TaskFunction::of_layer(std::shared_ptr<const Layer> layer) {
  TaskFunction f;
  f.body_ = std::make_shared<const LayerBody>(std::move(layer));
  return f;
}

NodeId Graph::add_layer(KeyName name, std::uint64_t token, std::span<const std::int64_t> grid,
                        std::shared_ptr<const Layer> layer, const LayerInputs& inputs_of, std::uint64_t content) {
  std::size_t blocks = 1;
  for (std::int64_t g : grid) blocks *= static_cast<std::size_t>(g);
  const auto first = static_cast<NodeId>(nodes_.size());
  nodes_.reserve(nodes_.size() + blocks);
  const TaskFunction fn = TaskFunction::of_layer(std::move(layer));
  std::vector<std::int64_t> block(grid.size(), 0);
  std::vector<NodeId> deps;
  for (std::size_t b = 0; b < blocks; ++b) {
    deps.clear();
    inputs_of(block, deps);
    const NodeId id = add_resolved(Key(name, token, block), fn, Value(), deps);
    nodes_[id].content = content;
    for (std::size_t axis = grid.size(); axis-- > 0;) {  // next block in C order
      if (++block[axis] < grid[axis]) break;
      block[axis] = 0;
    }
  }
  return first;
}

NodeId Graph::add_persisted(Key key, Value value, int holder, std::uint64_t nbytes) {
  NodeId id = add_resolved(std::move(key), TaskFunction(), std::move(value), {});
  nodes_[id].location = holder;
  nodes_[id].nbytes = nbytes;
  return id;
}

NodeId Graph::add_persisted(Key key, PersistedValue value, int holder, std::uint64_t nbytes) {
  NodeId id = add_persisted(std::move(key), Value(), holder, nbytes);
  nodes_[id].persisted = std::move(value);
  return id;
}

void Graph::build_index() const {
  index_.reserve(nodes_.size());
  for (; indexed_ < nodes_.size(); ++indexed_) {
    auto [it, inserted] = index_.emplace(nodes_[indexed_].key, static_cast<NodeId>(indexed_));
    if (!inserted) {
      graph_error("the graph has two tasks with the same key", nodes_[indexed_].key,
                  "every task needs its own key");
    }
  }
}

NodeId Graph::find(const Key& key) const {
  build_index();
  auto it = index_.find(key);
  if (it == index_.end()) graph_error("key is not in the graph", key);
  return it->second;
}

bool Graph::contains(const Key& key) const {
  build_index();
  return index_.count(key) != 0;
}

void Graph::resolve() const {
  build_index();
  for (const PendingDep& dep : pending_) {
    auto it = index_.find(dep.key);
    if (it == index_.end()) {
      graph_error("task " + nodes_[dep.owner].key.str() + " depends on " + dep.key.str() +
                      ", which is not in the graph",
                  dep.key, "add the missing task or data, or fix the reference");
    }
    dep_ids_[dep.slot] = it->second;
  }
  pending_.clear();
}

std::vector<std::uint64_t> Graph::node_tokens() const {
  validate_structure();
  std::vector<std::uint64_t> tokens(nodes_.size());
  for (NodeId id = 0; id < nodes_.size(); ++id) {
    const Node& node = nodes_[id];
    TokenHasher h;
    h.mix(node.key.hash());
    h.mix(node.content);
    // The constraint is part of what the graph is; the hints are not (rank 0 alone reads them).
    h.mix(static_cast<std::uint64_t>(node.annotations.restricted_to) ^
          (static_cast<std::uint64_t>(node.location) << 32));
    for (NodeId dep : deps(id)) h.mix(nodes_[dep].key.hash());
    tokens[id] = h.value();
  }
  return tokens;
}

std::uint64_t Graph::fingerprint(std::span<const std::uint64_t> node_tokens) {
  TokenHasher h;
  h.mix(node_tokens.size());
  for (std::uint64_t token : node_tokens) h.mix(token);
  return h.value();
}

std::uint64_t Graph::fingerprint() const { return fingerprint(node_tokens()); }

}  // namespace tessera
