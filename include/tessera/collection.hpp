#pragma once
/// Collection: what compute(), persist() and visualize() accept, for any
/// collection (Array today; DataFrame and Bag the same way), like Dask's
/// `DaskCollection` protocol.
///
///     auto x = tessera::array::ones({1000, 1000}, {.chunks = {250, 250}});
///     tessera::NDArray total = tessera::compute(x.sum());   // the same on every rank
///     auto y = tessera::persist(x * 2);                        // chunks stay where computed
///     tessera::visualize(y, "y.svg");
///
/// A collection is a graph, the keys of its chunks, and how the chunks' values
/// become the user's value (Dask's __dask_postcompute__). A persistable one also
/// says how to become itself again over results that stay on their ranks.
#include <tessera/checkpoint.hpp>
#include <tessera/compute.hpp>
#include <tessera/graph.hpp>

#include <concepts>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera {

template <class C>
concept Collection = requires(const C& c, std::vector<Value> results) {
  { c.graph() } -> std::convertible_to<const Graph&>;
  { c.output_keys() } -> std::convertible_to<std::span<const Key>>;
  c.finalize(std::move(results));
};

template <class C>
concept PersistableCollection = Collection<C> && requires(const C& c, std::vector<PersistedResult> held) {
  { c.from_persisted(std::move(held)) } -> std::same_as<C>;
};

namespace detail {
/// The graph's nodes of the collection's output keys, in order.
template <Collection C>
std::vector<NodeId> output_nodes(const C& collection) {
  const Graph& graph = collection.graph();
  std::vector<NodeId> outputs;
  outputs.reserve(collection.output_keys().size());
  for (const Key& key : collection.output_keys()) outputs.push_back(graph.find(key));
  return outputs;
}
}  // namespace detail

/// Runs the collection's graph and returns its value, the same on every rank.
template <Collection C>
auto compute(const C& collection, const ComputeOptions& options = {}) {
  return collection.finalize(compute_nodes(collection.graph(), detail::output_nodes(collection), options));
}

/// Runs the graph and keeps its chunks on the ranks that computed them.
template <PersistableCollection C>
C persist(const C& collection, const ComputeOptions& options = {}) {
  return collection.from_persisted(persist_nodes(collection.graph(), detail::output_nodes(collection), options));
}

/// The same, writing the chunks to `checkpoint_dir` as they are made and
/// reading back those a previous run wrote (include/tessera/checkpoint.hpp).
/// (A template, so that `persist(x, {.progress = ...})` still means the options.)
template <PersistableCollection C, class Directory>
  requires std::convertible_to<const Directory&, std::string_view>
C persist(const C& collection, const Directory& checkpoint_dir, ComputeOptions options = {}) {
  options.checkpoint_dir = std::string(std::string_view(checkpoint_dir));
  return persist(collection, options);
}

/// Graphviz drawing of the collection's graph (.dot, or .svg/.png/.pdf with `dot`).
template <Collection C>
void visualize(const C& collection, const std::string& path) {
  collection.graph().visualize(path);
}

}  // namespace tessera
