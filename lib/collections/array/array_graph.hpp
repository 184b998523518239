#pragma once
// Turning array expressions into a Graph: one builder per graph, which adds
// each node's layer once (a node used twice, like x in x - x.mean(), is one
// set of tasks).
#include "collections/array/expr.hpp"

#include <map>
#include <utility>

namespace tessera::array::detail {

class GraphBuilder {
 public:
  /// The id of block (0, ..., 0) of `e`'s layer, adding it and its inputs first.
  NodeId build(const ExprPtr& e);
  /// A layer of blocks shaped like `e`'s chunks, over `inputs`.
  NodeId add_block_layer(const ArrayExpr& e, std::shared_ptr<const BlockLayer> layer, const std::vector<ExprPtr>& inputs);
  /// A layer over explicit grid and inputs (reductions' later stages).
  Graph& graph() { return graph_; }
  Graph take() { return std::move(graph_); }

 private:
  Graph graph_;
  // By (name, token), not address: equal definitions built twice (x[m] + x[m])
  // are one set of tasks, as their keys are equal.
  std::map<std::pair<std::uint64_t, std::uint64_t>, NodeId> first_;
};

/// The keys of `e`'s blocks, in C order.
std::vector<Key> block_keys(const ArrayExpr& e);
/// Builds e.graph and e.output_keys once.
void ensure_graph(const ArrayExpr& e, const ExprPtr& self);
/// A reduction's stages (reduce.cpp): returns its final layer's first id.
NodeId build_reduction(GraphBuilder& builder, const ArrayExpr& e);
Shape broadcast_shapes(const Shape& a, const Shape& b);

}  // namespace tessera::array::detail
