#pragma once
// What a DataFrame is inside: a source of partitions (read with no inputs,
// like a CSV block, or the values of graph nodes, like persisted partitions
// or an aggregation's result) and one composed per-partition transform.
// Whatever consumes a frame (its own compute, an aggregation's first stage)
// runs source, transform and its own step in one task per partition: the
// chain fuses when the graph is built (STYLE.md §8.4).
#include <tessera/dataframe.hpp>
#include <tessera/graph.hpp>
#include <tessera/table.hpp>

#include "graph/layer_builder.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace tessera::dataframe::detail {

struct Schema {
  std::vector<std::string> names;
  std::vector<ColumnType> types;
  // Per column, a token of what made its values: a Series of one frame can be
  // used with another frame of the same rows whose columns it reads have the
  // same origins (df2 = df.assign(...); df2[df["x"] > 0]), as pandas aligns them.
  std::vector<std::uint64_t> origin;
  int find(std::string_view name) const;
  /// The index of `name`; InputError naming it and the columns when absent.
  int require(std::string_view name, std::string_view context) const;
};

/// Partition i with no inputs (a CSV block, a slice of a literal table).
class PartitionReader {
 public:
  virtual ~PartitionReader() = default;
  virtual Table read(std::int64_t i) const = 0;
  /// The partition's expected size, a placement hint (0: unknown).
  virtual std::uint64_t expected_bytes(std::int64_t) const { return 0; }
  /// A reader of only `columns` (ascending indices of this reader's
  /// columns), or null when it cannot read fewer: a consumer that needs a
  /// few columns of a CSV file does not parse the others.
  virtual std::shared_ptr<const PartitionReader> project(const std::vector<int>&) const { return nullptr; }
};

/// Per-partition work; composed ones run one after the other.
class Transform {
 public:
  virtual ~Transform() = default;
  virtual Table apply(const Table& t, std::int64_t partition) const = 0;
};

template <class F>
class TransformOf final : public Transform {
 public:
  explicit TransformOf(F f) : f_(std::move(f)) {}
  Table apply(const Table& t, std::int64_t partition) const override { return f_(t, partition); }

 private:
  F f_;
};
/// A Transform of a lambda (Table, partition) -> Table.
template <class F>
std::shared_ptr<const Transform> transform_of(F f) {
  return std::make_shared<TransformOf<F>>(std::move(f));
}
/// `rows` of t, or t itself (shared, not copied) when that is all of them.
Table with_rows(const Table& t, const std::vector<std::int64_t>& rows);
/// A partition of no rows with `schema`'s columns.
Table empty_table(const Schema& schema);

class GraphBuilder;

/// Partitions that are the values of npartitions consecutive graph nodes.
class NodeSource {
 public:
  virtual ~NodeSource() = default;
  virtual NodeId build(GraphBuilder& builder) const = 0;
};

struct FrameExpr {
  Schema schema;
  std::int64_t npartitions = 0;
  KeyName name;
  std::uint64_t token = 0;
  std::uint64_t rows = 0;  // which rows: kept by selections and assigns, new after filters
  std::shared_ptr<const PartitionReader> reader;  // or
  std::shared_ptr<const NodeSource> nodes;
  std::shared_ptr<const Transform> transform;     // may be null
  // After set_index: the index column (kept as the first column) and, when
  // known, the partitions' boundaries (npartitions + 1 values, Dask's divisions).
  std::string index;
  std::vector<Literal> divisions;

  mutable std::shared_ptr<const Graph> graph;
  mutable std::vector<Key> output_keys;
  mutable std::once_flag graph_once;
};
using FramePtr = std::shared_ptr<const FrameExpr>;

/// What a layer does with partition i once source and transform made it.
class PartitionStep {
 public:
  virtual ~PartitionStep() = default;
  virtual Value finish(std::int64_t i, Table t) const = 0;
  /// With the values of the layer's extra inputs (add_partition_layer's `extra`).
  virtual Value finish(std::int64_t i, Table t, std::span<const Value* const> extra) const {
    (void)extra;
    return finish(i, std::move(t));
  }
};

/// The step that hands partition i on as it is (a frame's own partitions).
std::shared_ptr<const PartitionStep> keep_partition();

class GraphBuilder : public graph::LayerBuilder {
 public:
  /// A layer (name, token) of frame.npartitions tasks; task i makes partition
  /// i of `frame` (its source, then its transform) and hands it to `step`.
  /// Added once per (name, token).
  /// `extra`: nodes every task also reads (a broadcast table, range boundaries).
  NodeId add_partition_layer(const FrameExpr& frame, KeyName name, std::uint64_t token,
                             std::shared_ptr<const PartitionStep> step, const std::vector<NodeId>& extra = {});
};

/// A frame derived from `input`: same source, `then` composed after its transform.
/// `keeps_rows`: the transform keeps every row in order (a selection, an
/// assign), so the schema's origins say which columns stay the same; otherwise
/// every column gets a new origin.
FramePtr derive(const FramePtr& input, Schema schema, std::string_view op, std::uint64_t op_token,
                std::shared_ptr<const Transform> then, bool keeps_rows);
/// Whether `e` reads only columns of `frame` with the origins it was built on.
bool usable_on(const ColumnExpr& e, const FrameExpr& frame);
/// A frame over `reader`'s partitions.
FramePtr from_reader(Schema schema, std::int64_t npartitions, std::string_view op, std::uint64_t token,
                     std::shared_ptr<const PartitionReader> reader);
/// `frame` reading only `columns` (ascending), when its source can and it
/// has no transform; otherwise `frame` itself.
FramePtr project(const FramePtr& frame, const std::vector<int>& columns);
/// A frame over the values of graph nodes.
FramePtr from_nodes(Schema schema, std::int64_t npartitions, std::string_view op, std::uint64_t token,
                    std::shared_ptr<const NodeSource> nodes);
/// The graph and keys of a frame computed as itself, built once.
void ensure_graph(const FrameExpr& e);

// ---- Column expressions (column_expr.cpp) ----

enum class ColumnOp : std::uint8_t {
  column, literal, add, subtract, multiply, divide, equal, not_equal, less, less_equal, greater, greater_equal,
  logical_and, logical_or, logical_not, negate, abs, isna, notna, fillna, cast,
  str_contains, str_startswith, str_endswith, str_lower, str_upper, str_strip, str_len,
  dt_year, dt_month, dt_day, dt_hour, dt_dayofweek
};

struct ColumnExpr {
  ColumnOp op = ColumnOp::column;
  ColumnType type = ColumnType::int64;  // of the result
  std::string column;                   // column: its name
  std::optional<Literal> literal;       // literal, fillna
  std::string text;                     // str_* argument
  std::shared_ptr<const ColumnExpr> a, b;
  std::uint64_t token = 0;
};
using ColumnPtr = std::shared_ptr<const ColumnExpr>;

ColumnPtr column_ref(const Schema& schema, const std::string& name);
ColumnPtr literal_expr(const Literal& value);
/// InputError naming the op and both types when they do not combine.
ColumnPtr binary_expr(ColumnOp op, ColumnPtr a, ColumnPtr b);
ColumnPtr unary_expr(ColumnOp op, ColumnPtr a, std::string text = {}, std::optional<Literal> literal = std::nullopt,
                     ColumnType cast_to = ColumnType::int64);
/// The column `e` gives over `table`'s rows.
Column evaluate(const ColumnExpr& e, const Table& table);
std::uint64_t literal_token(const Literal& v);

// ---- Aggregation (aggregate.cpp) ----

enum class AggFunc : std::uint8_t { sum, mean, count, size, min, max, var, std, first, last, nunique };
/// InputError listing the functions when `name` is none of them.
AggFunc agg_func(std::string_view name);
const char* agg_name(AggFunc f);

struct AggSpec {
  int column = -1;  // in the input schema (-1 for size)
  AggFunc func = AggFunc::sum;
  std::string out_name;
  int ddof = 1;
};

struct AggregateExpr {
  FramePtr input;
  std::vector<int> keys;  // input columns
  std::vector<AggSpec> specs;
  Schema out;  // keys, then one column per spec
  KeyName name;
  std::uint64_t token = 0;

  mutable std::shared_ptr<const Graph> graph;
  mutable std::vector<Key> output_keys;
  mutable std::once_flag graph_once;
};
using AggregatePtr = std::shared_ptr<const AggregateExpr>;

/// The aggregation of `input` by `keys`: InputError naming the column and
/// function when a function does not apply to its column's type.
AggregatePtr make_aggregate(const FramePtr& input, const std::vector<std::string>& keys,
                            const std::vector<std::pair<std::string, std::string>>& specs,
                            const std::vector<std::string>& out_names, int ddof = 1);
/// Adds the aggregation's stages; returns its one final node (a Table).
NodeId build_aggregate(GraphBuilder& builder, const AggregateExpr& e);
/// The aggregation into `parts` partitions (split_out): partition states cut
/// by key hash and exchanged, each part's groups merged where they meet.
/// Returns the first of `parts` nodes (layer name e.name, `token`).
NodeId build_split_aggregate(GraphBuilder& builder, const AggregatePtr& e, std::int64_t parts, std::uint64_t token);
/// The first row of each distinct combination of `columns`' values, in order
/// (nulls equal to nulls, as pandas' drop_duplicates).
std::vector<std::int64_t> distinct_rows(const Table& t, const std::vector<int>& columns);
/// The rows ordered by `columns` (stable; nulls last).
std::vector<std::int64_t> sorted_rows(const Table& t, const std::vector<int>& columns, const std::vector<bool>& ascending);

/// Merges `count` results from node `first` on eight at a time, level by
/// level, until one is left (the last level named `op`, the others
/// `op-combine`); returns the last node. `layer(final)` runs a merge.
NodeId add_merge_tree(GraphBuilder& builder, NodeId first, std::int64_t count, const std::string& op,
                      std::uint64_t token, const std::function<std::shared_ptr<const Layer>(bool final)>& layer);

/// A one-partition frame: `chunk` on each partition of `input`, then
/// `combine` on the concatenation of up to eight results at a time, in
/// partition order, until one is left (Dask's reduction of tables).
using TableFunction = std::function<Table(const Table&)>;
FramePtr reduce_tables(const FramePtr& input, Schema out, std::string_view op, std::uint64_t op_token,
                       TableFunction chunk, TableFunction combine);
void ensure_graph(const AggregateExpr& e);

// ---- The shuffle (shuffle.cpp) ----

/// Which part of an exchange each row of a partition goes to.
class Partitioner {
 public:
  virtual ~Partitioner() = default;
  virtual void parts_of(const Table& t, std::int64_t parts, std::vector<std::int32_t>& out) const = 0;
  virtual std::uint64_t token() const = 0;
};
/// Rows with equal values of `columns` go to one part (nulls together).
std::shared_ptr<const Partitioner> hash_partitioner(std::vector<int> columns);
/// Part k gets the rows whose `columns` sort between boundaries k-1 and k
/// (boundaries: those columns, parts - 1 rows, in sort order; nulls sort last).
std::shared_ptr<const Partitioner> range_partitioner(std::vector<int> columns, std::vector<bool> ascending,
                                                     Table boundaries);

/// Makes part j of an exchange from the rows each side sent to it (in input order).
using PartFinish = std::function<Table(std::int64_t part, std::vector<Table> sides)>;
struct ExchangeSide {
  FramePtr frame;
  std::shared_ptr<const Partitioner> partitioner;
};
/// A frame of `parts` partitions: every side's rows sent to the part its
/// partitioner says, through one exchange per side, then `finish` per part.
/// `token` must name everything that defines the result.
FramePtr exchange_frames(const std::vector<ExchangeSide>& sides, std::int64_t parts, Schema out, std::string_view op,
                         std::uint64_t token, PartFinish finish);
/// The rows of `t` whose `columns` compare as `cmp` says; shared by sorting
/// and range partitioning: nulls last whatever the direction (pandas).
int compare_rows(const Table& a, std::int64_t i, const Table& b, std::int64_t j, const std::vector<int>& a_columns,
                 const std::vector<int>& b_columns, const std::vector<bool>& ascending);

/// describe(): pandas' statistics of every int64 and float64 column (describe.cpp).
FramePtr describe_frame(const FramePtr& frame);

// ---- Joins (join.cpp) ----

enum class JoinHow : std::uint8_t { inner, left, right, outer };
JoinHow join_how(std::string_view name);
struct JoinPlan {
  JoinHow how = JoinHow::inner;
  std::vector<int> left_keys, right_keys;
  // The result's columns: each from the left (>= 0) or the right (-1 - i)
  // side's column; a shared key (`on`) takes the right's value where the
  // left row is missing.
  std::vector<int> sources;
  std::vector<int> coalesce_from_right;  // per result column: the right column to fill from, or -1
  Schema out;
};
/// pandas' merge of two schemas: the result's columns and types; InputError
/// naming the column when a key is missing or the key types differ.
JoinPlan plan_join(const Schema& left, const Schema& right, JoinHow how, const std::vector<std::string>& on,
                   const std::vector<std::string>& left_on, const std::vector<std::string>& right_on,
                   const std::pair<std::string, std::string>& suffixes);
/// One partition's join (a hash join on the right side; null keys match each other, as pandas').
Table join_tables(const Table& left, const Table& right, const JoinPlan& plan);

/// The small side of a broadcast join as a rank holds it: the table, and the
/// index of its keys that the rank's first join task builds and the rest
/// share. Only the table travels; a rank that receives it builds its own.
struct BroadcastIndex;
struct BroadcastSide {
  explicit BroadcastSide(Table t);
  Table table;
  std::shared_ptr<BroadcastIndex> index;
  std::size_t nbytes() const { return table.nbytes(); }  // without the index (built later, up to 2x the key column)
};
/// A partition of the large side joined with the whole small side. A unique
/// int64 key on the right of an inner or left join (a dimension's ids) is
/// looked up in the shared index, and the left's columns pass through
/// uncopied when every row matched; any other join is join_tables.
Table join_broadcast(const Table& large, const BroadcastSide& small, const JoinPlan& plan, bool large_is_left);

}  // namespace tessera::dataframe::detail

namespace tessera {
template <>
struct Transport<dataframe::detail::BroadcastSide> {
  static void encode(const dataframe::detail::BroadcastSide& side, ByteWriter& out) {
    Transport<Table>::encode(side.table, out);
  }
  static dataframe::detail::BroadcastSide decode(ByteReader& in) {
    return dataframe::detail::BroadcastSide(Transport<Table>::decode(in));
  }
};
}  // namespace tessera
