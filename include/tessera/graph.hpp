#pragma once
/// Graph: tasks named by keys, each a callable over the results of other keys.
///
///     tessera::Graph g;
///     g.add_data(tessera::Key("x"), 20);
///     g.add_task(tessera::Key("y"), [](int x, int k) { return x + k; },
///                tessera::ref<int>(tessera::Key("x")), 1);           // a reference, a literal
///     g.add_task(tessera::Key("z"), [](int y) { return 2 * y; }, tessera::ref<int>(tessera::Key("y")));
///     g.validate();                                   // cycles, missing keys: GraphError
///     auto r = tessera::compute(g, {tessera::Key("z")});  // r[0].get<int>() == 42
///     g.visualize("g.svg");                           // Graphviz
///
/// This is the layer below the collections: Delayed, and later Array,
/// DataFrame and Bag, build a Graph; the schedulers run one. The optimisations
/// are plain functions from Graph to Graph (cull, fuse_linear) or to an order.
#include <tessera/key.hpp>
#include <tessera/persisted.hpp>
#include <tessera/value.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tessera {

using NodeId = std::uint32_t;

/// The values a task receives: its dependencies' results, in order.
using TaskArgs = std::span<const Value* const>;

/// N tasks of one prefix made by one function that receives its block index
/// (STYLE.md §8.3): a collection adds a whole operation with
/// Graph::add_layer, one shared function and no closure per chunk.
///
///     struct Ones final : tessera::Layer {
///       tessera::Value run(std::span<const std::int64_t> block, tessera::TaskArgs) const override {
///         return tessera::Value::of(std::vector<double>(block[0] + 1, 1.0));
///       }
///     };
///     graph.add_layer(tessera::KeyName("ones"), token, grid, std::make_shared<Ones>(), no_inputs);
class Layer {
 public:
  virtual ~Layer() = default;
  /// Block `index`'s result from the results of the inputs add_layer gave it, in order.
  virtual Value run(std::span<const std::int64_t> index, std::span<const Value* const> inputs) const = 0;
};

namespace detail {
class TaskBody {
 public:
  virtual ~TaskBody() = default;
  virtual Value run(TaskArgs args, const Key& key) const = 0;
};
template <class F>
class TaskBodyOf final : public TaskBody {
 public:
  explicit TaskBodyOf(F f) : f_(std::move(f)) {}
  Value run(TaskArgs args, const Key& key) const override {
    if constexpr (std::is_invocable_r_v<Value, const F&, TaskArgs, const Key&>) {
      return f_(args, key);
    } else {
      return f_(args);
    }
  }

 private:
  F f_;
};
}  // namespace detail

/// A task's callable, shared: copying one is a reference count, so a graph
/// can be culled, fused and reordered without copying closures.
class TaskFunction {
 public:
  TaskFunction() = default;
  /// f: Value(TaskArgs), or Value(TaskArgs, const Key&) for a function shared
  /// by many tasks that tells them apart by their key.
  template <class F>
    requires(std::is_invocable_r_v<Value, const F&, TaskArgs> ||
             std::is_invocable_r_v<Value, const F&, TaskArgs, const Key&>) &&
            (!std::is_same_v<std::decay_t<F>, TaskFunction>)
  explicit TaskFunction(F f) : body_(std::make_shared<const detail::TaskBodyOf<F>>(std::move(f))) {}
  /// Every block of `layer`: the body receives the block index from the task's key.
  static TaskFunction of_layer(std::shared_ptr<const Layer> layer);

  Value operator()(TaskArgs args, const Key& key) const { return body_->run(args, key); }
  explicit operator bool() const noexcept { return body_ != nullptr; }

 private:
  std::shared_ptr<const detail::TaskBody> body_;
};

/// A typed reference to another key's result, for Graph::add_task.
template <class T>
struct KeyRef {
  Key key;
};
template <class T>
KeyRef<T> ref(Key key) {
  return {std::move(key)};
}

/// Where a task may or should run (DESIGN.md §2): one struct for Graph
/// nodes, Delayed calls and futures. `restricted_to` is a constraint;
/// `preferred_ranks` and `expected_bytes` are hints rank 0 weighs like input
/// bytes already there, so a task without inputs (an HDF5 hyperslab read, a
/// CSV block) runs where its consumers will want its output, and such reads
/// spread as their collection asks.
struct TaskAnnotations {
  int restricted_to = -1;            // run on this rank only (Dask's `workers=`), or -1
  std::vector<int> preferred_ranks{};  // run on one of these when it has a free slot
  std::uint64_t expected_bytes = 0;  // the output's expected size: the weight of a preference
  bool empty() const { return restricted_to < 0 && preferred_ranks.empty() && expected_bytes == 0; }
};

class Graph;
namespace graph {
template <class F>
auto with_derived(const Graph& graph, F&& f);
}

class Graph {
 public:
  struct Node {
    Key key;
    TaskFunction fn;       // empty for a data node
    Value data;            // the literal of a data node
    std::uint32_t dep_begin = 0;
    std::uint32_t dep_count = 0;
    int location = -1;          // data held by one rank only (a persisted result), else -1: everywhere
    std::uint64_t nbytes = 0;   // its size, known on every rank
    TaskAnnotations annotations{};  // where it may or should run
    std::uint64_t content = 0;  // a token of its literal data or arguments (token.hpp), 0 if none
    PersistedValue persisted{};  // a persisted result's value on its holder (then `data` is empty)
    std::int64_t exchange_parts = 0;  // > 0: an exchange node (exchange.hpp) regrouping into this many parts
    std::int64_t exchange_part = -1;  // >= 0: a reader of this part of the exchange it depends on
    bool is_data() const { return !fn; }
  };

  Graph() = default;

  /// A literal result: Dask's {'x': 1}.
  NodeId add_data(Key key, Value value);
  template <class T>
    requires(!std::is_same_v<std::decay_t<T>, Value>)
  NodeId add_data(Key key, T&& value) {
    return add_data(std::move(key), Value::of(std::forward<T>(value)));
  }

  /// The low-level form: fn receives the results of deps, in order. Deps may
  /// name keys added later; validate() resolves them.
  NodeId add_task(Key key, TaskFunction fn, std::span<const Key> deps);
  NodeId add_task(Key key, TaskFunction fn, std::initializer_list<Key> deps) {
    return add_task(std::move(key), std::move(fn), std::span<const Key>(deps.begin(), deps.size()));
  }
  /// The typed form: each argument is a KeyRef<T> (passed to f as const T&)
  /// or a literal (captured, passed as const&).
  template <class F, class... A>
    requires(!std::is_same_v<std::decay_t<F>, TaskFunction>)
  NodeId add_task(Key key, F f, A&&... args);

  /// For the builders in lib/ that already know node ids (Delayed): no key lookup.
  NodeId add_resolved(Key key, TaskFunction fn, Value data, std::span<const NodeId> deps);
  /// A node like `node` (of this or another graph) with new dependency ids.
  NodeId add_copy(const Node& node, std::span<const NodeId> deps);
  /// A layer's tasks in bulk: one per block of `grid` (blocks per axis), in C
  /// order, keyed (name-token, i, j, ...), all running `layer`. `inputs_of(block, deps)`
  /// appends the ids each block reads, added before. Returns the first block's
  /// id; block b is first + its C-order position. `content` enters each
  /// node's fingerprint (what defines the layer beyond its key, e.g. literals).
  using LayerInputs = std::function<void(std::span<const std::int64_t> block, std::vector<NodeId>& deps)>;
  NodeId add_layer(KeyName name, std::uint64_t token, std::span<const std::int64_t> grid,
                   std::shared_ptr<const Layer> layer, const LayerInputs& inputs_of, std::uint64_t content = 0);
  /// A persisted result that lives on rank `holder` (-1: on every rank; value
  /// empty on the other ranks). Runs read it through `value`, which counts
  /// it against the rank's memory budget and spills it (persisted.hpp).
  NodeId add_persisted(Key key, PersistedValue value, int holder, std::uint64_t nbytes);
  /// The same for a plain Value, which stays in memory as a literal of the graph.
  NodeId add_persisted(Key key, Value value, int holder, std::uint64_t nbytes);

  /// An exchange (include/tessera/exchange.hpp): its value is every sender's
  /// Shards regrouped into `parts` parts; the distributed scheduler runs it
  /// as one collective stage between ranks.
  NodeId add_exchange(Key key, std::span<const NodeId> senders, std::int64_t parts);
  /// Says that task `id` (which depends on an exchange) reads part `part`:
  /// the distributed scheduler runs it on the rank that owns the part.
  void reads_exchange_part(NodeId id, std::int64_t part) {
    nodes_[id].exchange_part = part;
    derived_.reset();
  }
  /// Runs `id` on `rank` only (Dask's worker restrictions); -1 lifts it.
  void restrict_to_rank(NodeId id, int rank) {
    nodes_[id].annotations.restricted_to = rank;
    derived_.reset();
  }
  void annotate(NodeId id, TaskAnnotations annotations) {
    nodes_[id].annotations = std::move(annotations);
    derived_.reset();
  }

  std::size_t size() const { return nodes_.size(); }
  const Node& node(NodeId id) const { return nodes_[id]; }
  std::span<const NodeId> deps(NodeId id) const {
    const Node& n = nodes_[id];
    return {dep_ids_.data() + n.dep_begin, n.dep_count};
  }
  std::span<const Node> nodes() const { return nodes_; }

  /// The node of a key; GraphError naming it when absent.
  NodeId find(const Key& key) const;
  bool contains(const Key& key) const;

  /// Resolves key references and checks the graph: a duplicate key, a
  /// reference to a missing key, or a cycle is a GraphError naming the keys.
  void validate() const;
  /// What running needs: every reference resolved, no cycle. Linear when each
  /// node only depends on earlier ids (as the builders in lib/ make them);
  /// otherwise the full validate().
  void validate_structure() const;

  /// A content hash of the graph (keys, edges, rank restrictions, tokens of
  /// literal data and arguments): equal on every rank that built the same graph.
  std::uint64_t fingerprint() const;
  /// The same, per node: what the ranks compare to name the first task that differs.
  std::vector<std::uint64_t> node_tokens() const;
  /// fingerprint() from node_tokens() already at hand.
  static std::uint64_t fingerprint(std::span<const std::uint64_t> node_tokens);

  /// What a drawing can show beyond the graph, from a run's records
  /// (Profile::visualize): the rank that ran each task and the bytes of its
  /// result, by key text (Key::str()).
  struct RunFacts {
    std::unordered_map<std::string, int> rank;
    std::unordered_map<std::string, std::uint64_t> bytes;
  };
  /// Graphviz: .dot is written directly; .svg/.png/.pdf are drawn with `dot`.
  /// Tasks are coloured by key prefix, or by the rank that ran them when
  /// `facts` says. Graphs over `summarise_above` nodes are drawn one node per
  /// key name, with edges labelled by their count and, when known, the bytes
  /// that moved along them (from `facts`, else the tasks' expected bytes).
  void visualize(const std::string& path, std::size_t summarise_above = 2000, const RunFacts* facts = nullptr) const;
  std::string to_dot(std::size_t summarise_above = 2000, const RunFacts* facts = nullptr) const;

 private:
  struct PendingDep {
    std::uint32_t slot;  // index into dep_ids_
    NodeId owner;
    Key key;
  };
  void build_index() const;
  void resolve() const;

  std::vector<Node> nodes_;
  mutable std::vector<NodeId> dep_ids_;
  mutable std::vector<PendingDep> pending_;
  mutable std::unordered_map<Key, NodeId, KeyHash> index_;
  mutable std::size_t indexed_ = 0;  // nodes_[0, indexed_) are in index_
  mutable bool validated_ = false;
  // What runs derive from the graph (lib/graph/derived.hpp), kept while it is unchanged.
  struct Derived;
  mutable std::shared_ptr<Derived> derived_;
  template <class F>
  friend auto graph::with_derived(const Graph& graph, F&& f);
};

/// Only what the outputs need.
Graph cull(const Graph& graph, std::span<const Key> outputs);

/// Fuses linear chains (a task whose only dependent has it as its only
/// dependency) into one task named by the chain's last key; keys in `keep`
/// stay addressable. An exception inside a fused task still names its own key.
Graph fuse_linear(const Graph& graph, std::span<const Key> keep);

/// An execution order that runs depth-first toward the outputs, so that few
/// results are alive at once (the idea of dask.order): result[i] is the
/// position of node i in the order; a topological order of the graph.
std::vector<std::uint32_t> order(const Graph& graph, std::span<const NodeId> outputs);

}  // namespace tessera

#include <tessera/detail/graph_impl.hpp>
