// DataFrame and Series: lazy frames over partition sources, with per-partition
// operations composed into one transform (frame_expr.hpp).
#include "collections/dataframe/frame_expr.hpp"

#include <tessera/error.hpp>
#include <tessera/token.hpp>

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <limits>
#include <numeric>

namespace tessera::dataframe {
namespace detail {

int Schema::find(std::string_view name) const {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<int>(i);
  }
  return -1;
}

int Schema::require(std::string_view name, std::string_view context) const {
  const int i = find(name);
  if (i < 0) {
    std::string known;
    for (const auto& n : names) known.append(known.empty() ? "" : ", ").append(n);
    throw InputError(std::string(context).append(": no column '").append(name).append("' (columns: ").append(known).append(")"));
  }
  return i;
}

namespace {

// Runs a frame's source and transform for partition i, then the step.
class PartitionLayer final : public Layer {
 public:
  PartitionLayer(std::shared_ptr<const PartitionReader> reader, std::shared_ptr<const Transform> transform,
                 std::shared_ptr<const PartitionStep> step)
      : reader_(std::move(reader)), transform_(std::move(transform)), step_(std::move(step)) {}
  Value run(std::span<const std::int64_t> index, std::span<const Value* const> inputs) const override {
    const std::int64_t i = index[0];
    Table t = reader_ ? reader_->read(i) : inputs[0]->get<Table>();
    if (transform_) t = transform_->apply(t, i);
    const std::size_t own = reader_ ? 0 : 1;  // the inputs after the partition's own are the layer's extras
    if (inputs.size() == own) return step_->finish(i, std::move(t));
    return step_->finish(i, std::move(t), inputs.subspan(own));
  }

 private:
  std::shared_ptr<const PartitionReader> reader_;
  std::shared_ptr<const Transform> transform_;
  std::shared_ptr<const PartitionStep> step_;
};


class Composed final : public Transform {
 public:
  Composed(std::shared_ptr<const Transform> first, std::shared_ptr<const Transform> second)
      : first_(std::move(first)), second_(std::move(second)) {}
  Table apply(const Table& t, std::int64_t partition) const override {
    return second_->apply(first_->apply(t, partition), partition);
  }

 private:
  std::shared_ptr<const Transform> first_, second_;
};

}  // namespace

namespace {
class KeepPartition final : public PartitionStep {
 public:
  Value finish(std::int64_t, Table t) const override { return Value::of(std::move(t)); }
};
}  // namespace

std::shared_ptr<const PartitionStep> keep_partition() {
  static const auto keep = std::make_shared<const KeepPartition>();
  return keep;
}

Table with_rows(const Table& t, const std::vector<std::int64_t>& rows) {
  return static_cast<std::int64_t>(rows.size()) == t.num_rows() ? t : t.take(rows);
}

Table empty_table(const Schema& schema) {
  std::vector<Column> columns;
  for (ColumnType t : schema.types) columns.push_back(ColumnBuilder(t).finish());
  return Table(schema.names, std::move(columns));
}


NodeId GraphBuilder::add_partition_layer(const FrameExpr& frame, KeyName name, std::uint64_t token,
                                         std::shared_ptr<const PartitionStep> step, const std::vector<NodeId>& extra) {
  if (auto known = find(name, token)) return *known;
  NodeId input_first = 0;
  if (frame.nodes) input_first = frame.nodes->build(*this);
  auto layer = std::make_shared<PartitionLayer>(frame.reader, frame.transform, std::move(step));
  const NodeId first = add_layer(name, token, frame.npartitions, std::move(layer),
                                 [&](std::span<const std::int64_t> block, std::vector<NodeId>& deps) {
                                   if (frame.nodes) deps.push_back(input_first + static_cast<NodeId>(block[0]));
                                   deps.insert(deps.end(), extra.begin(), extra.end());
                                 });
  if (frame.reader) {
    // A read has no inputs to say where it should run: its size does, so the
    // scheduler spreads the reads and keeps their consumers beside them.
    for (std::int64_t i = 0; i < frame.npartitions; ++i) {
      const std::uint64_t bytes = frame.reader->expected_bytes(i);
      if (bytes == 0) continue;
      TaskAnnotations hint;
      hint.expected_bytes = bytes;
      graph().annotate(first + static_cast<NodeId>(i), std::move(hint));
    }
  }
  return first;
}


namespace {
void fresh_origins(Schema& s, std::uint64_t token) {
  s.origin.resize(s.names.size());
  for (std::size_t i = 0; i < s.names.size(); ++i) {
    TokenHasher h;
    h.mix(token);
    h.add(s.names[i]);
    s.origin[i] = h.value();
  }
}
}  // namespace

bool usable_on(const ColumnExpr& e, const FrameExpr& frame) {
  if (e.op == ColumnOp::column) {
    const int i = frame.schema.find(e.column);
    return i >= 0 && frame.schema.origin[static_cast<std::size_t>(i)] == e.token;
  }
  return (!e.a || usable_on(*e.a, frame)) && (!e.b || usable_on(*e.b, frame));
}

FramePtr derive(const FramePtr& input, Schema schema, std::string_view op, std::uint64_t op_token,
                std::shared_ptr<const Transform> then, bool keeps_rows) {
  auto e = std::make_shared<FrameExpr>();
  e->schema = std::move(schema);
  e->npartitions = input->npartitions;
  e->name = KeyName(op);
  TokenHasher h;
  h.mix(input->token);
  h.add(op);
  h.mix(op_token);
  e->token = h.value();
  e->rows = keeps_rows ? input->rows : e->token;
  if (!keeps_rows || e->schema.origin.size() != e->schema.names.size()) fresh_origins(e->schema, e->token);
  e->reader = input->reader;
  e->nodes = input->nodes;
  e->transform = input->transform ? std::make_shared<Composed>(input->transform, std::move(then)) : std::move(then);
  // Rows stay in their partitions: a sorted index and its divisions stay true while the column is there.
  if (!input->index.empty() && e->schema.find(input->index) >= 0) {
    e->index = input->index;
    e->divisions = input->divisions;
  }
  return e;
}

namespace {
// A frame of its own rows and columns (no source yet).
std::shared_ptr<FrameExpr> new_frame(Schema schema, std::int64_t npartitions, std::string_view op, std::uint64_t token) {
  auto e = std::make_shared<FrameExpr>();
  e->schema = std::move(schema);
  e->npartitions = npartitions;
  e->name = KeyName(op);
  e->token = token;
  e->rows = token;
  fresh_origins(e->schema, token);
  return e;
}
}  // namespace

FramePtr from_reader(Schema schema, std::int64_t npartitions, std::string_view op, std::uint64_t token,
                     std::shared_ptr<const PartitionReader> reader) {
  auto e = new_frame(std::move(schema), npartitions, op, token);
  e->reader = std::move(reader);
  return e;
}

FramePtr project(const FramePtr& frame, const std::vector<int>& columns) {
  if (!frame->reader || frame->transform || columns.size() >= frame->schema.names.size()) return frame;
  std::shared_ptr<const PartitionReader> reader = frame->reader->project(columns);
  if (!reader) return frame;
  Schema s;
  TokenHasher h;
  h.mix(frame->token);
  for (int c : columns) {
    const auto i = static_cast<std::size_t>(c);
    s.names.push_back(frame->schema.names[i]);
    s.types.push_back(frame->schema.types[i]);
    h.add(c);
  }
  auto e = new_frame(std::move(s), frame->npartitions, frame->name.str(), h.value());
  e->reader = std::move(reader);
  // The same rows and columns as the frame's own: Series of it stay usable.
  e->rows = frame->rows;
  for (std::size_t k = 0; k < columns.size(); ++k) {
    e->schema.origin[k] = frame->schema.origin[static_cast<std::size_t>(columns[k])];
  }
  return e;
}

FramePtr from_nodes(Schema schema, std::int64_t npartitions, std::string_view op, std::uint64_t token,
                    std::shared_ptr<const NodeSource> nodes) {
  auto e = new_frame(std::move(schema), npartitions, op, token);
  e->nodes = std::move(nodes);
  return e;
}

void ensure_graph(const FrameExpr& e) {
  std::call_once(e.graph_once, [&] {
    GraphBuilder builder;
    const NodeId first = builder.add_partition_layer(e, e.name, e.token, keep_partition());
    Graph g = builder.take();
    for (std::int64_t i = 0; i < e.npartitions; ++i) e.output_keys.push_back(g.node(first + static_cast<NodeId>(i)).key);
    e.graph = std::make_shared<const Graph>(std::move(g));
  });
}

namespace {

class ApplyStep final : public PartitionStep {
 public:
  explicit ApplyStep(TableFunction f) : f_(std::move(f)) {}
  Value finish(std::int64_t, Table t) const override { return Value::of(f_(t)); }

 private:
  TableFunction f_;
};

class CombineTables final : public Layer {
 public:
  explicit CombineTables(TableFunction f) : f_(std::move(f)) {}
  Value run(std::span<const std::int64_t>, std::span<const Value* const> inputs) const override {
    std::vector<Table> parts;
    for (const Value* v : inputs) parts.push_back(v->get<Table>());
    return Value::of(f_(Table::concat(parts)));
  }

 private:
  TableFunction f_;
};

class TableTree final : public NodeSource {
 public:
  TableTree(FramePtr input, std::string op, std::uint64_t token, TableFunction chunk, TableFunction combine)
      : input_(std::move(input)), op_(std::move(op)), token_(token), chunk_(std::move(chunk)), combine_(std::move(combine)) {}
  NodeId build(GraphBuilder& builder) const override {
    const NodeId chunks = builder.add_partition_layer(*input_, KeyName(op_ + "-chunk"), token_, std::make_shared<ApplyStep>(chunk_));
    auto combine = std::make_shared<CombineTables>(combine_);
    return add_merge_tree(builder, chunks, input_->npartitions, op_, token_, [&](bool) { return combine; });
  }

 private:
  FramePtr input_;
  std::string op_;
  std::uint64_t token_;
  TableFunction chunk_, combine_;
};

}  // namespace

NodeId add_merge_tree(GraphBuilder& builder, NodeId first, std::int64_t count, const std::string& op,
                      std::uint64_t token, const std::function<std::shared_ptr<const Layer>(bool final)>& layer) {
  return builder.add_merge_tree(first, count, op, token, layer);
}

FramePtr reduce_tables(const FramePtr& input, Schema out, std::string_view op, std::uint64_t op_token,
                       TableFunction chunk, TableFunction combine) {
  TokenHasher h;
  h.mix(input->token);
  h.add(op);
  h.mix(op_token);
  const std::uint64_t token = h.value();
  auto tree = std::make_shared<TableTree>(input, std::string(op), token, std::move(chunk), std::move(combine));
  return from_nodes(std::move(out), 1, op, token, std::move(tree));
}

namespace {

// Persisted partitions: graph literals that live on their holders. Their
// keys are not the frame's own: its graph reads them through a layer of the
// frame's name (ensure_graph), and two nodes may not share a key.
class PersistedNodes final : public NodeSource {
 public:
  PersistedNodes(const KeyName& name, std::uint64_t token, std::vector<PersistedResult> parts)
      : name_(std::string(name.str()).append("-persisted")), token_(token), parts_(std::move(parts)) {}
  NodeId build(GraphBuilder& builder) const override {
    NodeId first = 0;
    for (std::size_t i = 0; i < parts_.size(); ++i) {
      const std::int64_t index[1] = {static_cast<std::int64_t>(i)};
      const NodeId id = builder.graph().add_persisted(Key(name_, token_, index), parts_[i].value, parts_[i].holder,
                                                      parts_[i].nbytes);
      if (i == 0) first = id;
    }
    return first;
  }

 private:
  KeyName name_;
  std::uint64_t token_;
  std::vector<PersistedResult> parts_;
};

// Slices of one table every rank holds.
class TableSlices final : public PartitionReader {
 public:
  TableSlices(Table table, std::vector<std::int64_t> starts) : table_(std::move(table)), starts_(std::move(starts)) {}
  Table read(std::int64_t i) const override {
    const auto k = static_cast<std::size_t>(i);
    return table_.slice(starts_[k], starts_[k + 1] - starts_[k]);
  }
  std::shared_ptr<const PartitionReader> project(const std::vector<int>& columns) const override {
    std::vector<std::string> names;
    for (int c : columns) names.push_back(table_.names()[static_cast<std::size_t>(c)]);
    return std::make_shared<TableSlices>(table_.select(names), starts_);
  }

 private:
  Table table_;
  std::vector<std::int64_t> starts_;
};

std::uint64_t table_token(const Table& t) {
  TokenHasher h;
  std::vector<std::byte> bytes;
  ByteWriter w(bytes);
  w.put(t);
  h.add_bytes(bytes);
  return h.value();
}

Schema schema_of(const Table& t) {
  Schema s;
  s.names = t.names();
  for (std::size_t c = 0; c < t.num_columns(); ++c) s.types.push_back(t.column(c).type());
  return s;
}

}  // namespace
}  // namespace detail

using namespace detail;

// ---- DataFrame ----

std::int64_t DataFrame::npartitions() const { return expr_->npartitions; }
std::vector<std::string> DataFrame::columns() const { return expr_->schema.names; }

std::vector<std::pair<std::string, ColumnType>> DataFrame::dtypes() const {
  std::vector<std::pair<std::string, ColumnType>> out;
  for (std::size_t i = 0; i < expr_->schema.names.size(); ++i) out.emplace_back(expr_->schema.names[i], expr_->schema.types[i]);
  return out;
}

Series DataFrame::operator[](const std::string& column) const {
  return Series(*this, column_ref(expr_->schema, column), column);
}
Series DataFrame::operator[](const char* column) const { return (*this)[std::string(column)]; }

DataFrame DataFrame::operator[](const std::vector<std::string>& columns) const {
  Schema s;
  TokenHasher h;
  for (const auto& c : columns) {
    const int i = expr_->schema.require(c, "selecting columns");
    s.names.push_back(c);
    s.types.push_back(expr_->schema.types[static_cast<std::size_t>(i)]);
    s.origin.push_back(expr_->schema.origin[static_cast<std::size_t>(i)]);
    h.add(c);
  }
  auto names = columns;
  return DataFrame(derive(expr_, s, "getitem", h.value(),
                          transform_of([names](const Table& t, std::int64_t) { return t.select(names); }), true));
}

namespace {
void require_same_frame(const DataFrame& frame, const Series& s, std::string_view op) {
  const FrameExpr& f = *frame.expr();
  if (s.frame().expr()->token != f.token && !(s.frame().expr()->rows == f.rows && usable_on(*s.expr(), f))) {
    throw InputError(std::string(op).append(": the Series '").append(s.name()).append(
        "' comes from another DataFrame (Tessera frames have no index to align them by)"));
  }
}
}  // namespace

DataFrame DataFrame::operator[](const Series& mask) const {
  require_same_frame(*this, mask, "filtering rows");
  if (mask.dtype() != ColumnType::bool_) {
    throw InputError(std::string("filtering rows: the mask '").append(mask.name()).append("' is ").append(
        type_name(mask.dtype())).append(", not bool"));
  }
  ColumnPtr expr = mask.expr();
  return DataFrame(derive(expr_, expr_->schema, "filter", expr->token,
                          transform_of([expr](const Table& t, std::int64_t) {
                            const Column keep = evaluate(*expr, t);
                            std::vector<std::int64_t> rows;
                            const auto flags = keep.bools();
                            for (std::int64_t r = 0; r < keep.size(); ++r) {
                              if (flags[static_cast<std::size_t>(r)] && keep.is_valid(r)) rows.push_back(r);
                            }
                            return with_rows(t, rows);
                          }),
                          false));
}

DataFrame DataFrame::assign(const std::string& name, const Series& values) const {
  require_same_frame(*this, values, "assign");
  Schema s = expr_->schema;
  ColumnPtr expr = values.expr();
  TokenHasher h;
  h.add(name);
  h.mix(expr->token);
  h.mix(expr_->rows);
  const int at = s.find(name);
  if (at < 0) {
    s.names.push_back(name);
    s.types.push_back(values.dtype());
    s.origin.push_back(h.value());
  } else {
    s.types[static_cast<std::size_t>(at)] = values.dtype();
    s.origin[static_cast<std::size_t>(at)] = h.value();
  }
  return DataFrame(derive(expr_, s, "assign", h.value(), transform_of([expr, name](const Table& t, std::int64_t) {
                            std::vector<std::string> names = t.names();
                            std::vector<std::shared_ptr<const Column>> cols;
                            for (std::size_t c = 0; c < t.num_columns(); ++c) cols.push_back(t.column_ptr(c));
                            auto made = std::make_shared<const Column>(evaluate(*expr, t));
                            const int i = t.find(name);
                            if (i < 0) {
                              names.push_back(name);
                              cols.push_back(std::move(made));
                            } else {
                              cols[static_cast<std::size_t>(i)] = std::move(made);
                            }
                            return Table(std::move(names), std::move(cols));
                          }),
                          true));
}

DataFrame DataFrame::assign(const std::string& name, const Literal& value) const {
  return assign(name, Series(*this, literal_expr(value), name));
}

DataFrame DataFrame::astype(const std::map<std::string, ColumnType>& types) const {
  DataFrame out = *this;
  for (const auto& [name, type] : types) out = out.assign(name, (*this)[name].astype(type));
  return out;
}

DataFrame DataFrame::dropna(const std::vector<std::string>& subset) const {
  std::vector<int> cols;
  TokenHasher h;
  for (const auto& c : subset) {
    cols.push_back(expr_->schema.require(c, "dropna"));
    h.add(c);
  }
  if (subset.empty()) {
    cols.resize(expr_->schema.names.size());
    std::iota(cols.begin(), cols.end(), 0);
  }
  return DataFrame(derive(expr_, expr_->schema, "dropna", h.value(), transform_of([cols](const Table& t, std::int64_t) {
                            std::vector<std::int64_t> rows;
                            for (std::int64_t r = 0; r < t.num_rows(); ++r) {
                              bool keep = true;
                              for (int c : cols) {
                                if (t.column(static_cast<std::size_t>(c)).is_na(r)) {
                                  keep = false;
                                  break;
                                }
                              }
                              if (keep) rows.push_back(r);
                            }
                            return with_rows(t, rows);
                          }),
                          false));
}

DataFrame DataFrame::fillna(const Literal& value) const {
  DataFrame out = *this;
  const auto& v = value.value();
  const bool number = std::holds_alternative<std::int64_t>(v) || std::holds_alternative<double>(v);
  for (std::size_t c = 0; c < expr_->schema.names.size(); ++c) {
    const ColumnType t = expr_->schema.types[c];
    const bool fits = (number && (t == ColumnType::int64 || t == ColumnType::float64)) ||
                      (std::holds_alternative<bool>(v) && t == ColumnType::bool_) ||
                      (std::holds_alternative<std::string>(v) && t == ColumnType::string);
    if (fits) out = out.assign(expr_->schema.names[c], (*this)[expr_->schema.names[c]].fillna(value));
  }
  return out;
}

DataFrame DataFrame::map_partitions(std::function<Table(const Table&)> f, const std::string& name) const {
  // The columns: f on an empty partition of this frame's schema.
  const Table probe = f(empty_table(expr_->schema));
  TokenHasher h;
  h.add(name);
  return DataFrame(derive(expr_, schema_of(probe), name, h.value(),
                          transform_of([f = std::move(f)](const Table& t, std::int64_t) { return f(t); }), false));
}

DataFrame DataFrame::drop_duplicates(const std::vector<std::string>& subset, std::int64_t split_out) const {
  std::vector<int> cols;
  TokenHasher h;
  for (const auto& c : subset) {
    cols.push_back(expr_->schema.require(c, "drop_duplicates"));
    h.add(c);
  }
  if (subset.empty()) {
    cols.resize(expr_->schema.names.size());
    std::iota(cols.begin(), cols.end(), 0);
  }
  auto dedupe = [cols](const Table& t) { return with_rows(t, distinct_rows(t, cols)); };
  if (split_out > 1) {
    // Equal rows meet in one part, in row order: each part's first occurrences are the frame's.
    auto first = derive(expr_, expr_->schema, "drop-duplicates-chunk", h.value(),
                        transform_of([dedupe](const Table& t, std::int64_t) { return dedupe(t); }), false);
    return DataFrame(exchange_frames({{first, hash_partitioner(cols)}}, split_out, expr_->schema, "drop-duplicates",
                                     h.value(), [dedupe](std::int64_t, std::vector<Table> sides) { return dedupe(sides[0]); }));
  }
  if (split_out < 1) throw InputError("drop_duplicates: split_out must be at least 1, not " + std::to_string(split_out));
  return DataFrame(reduce_tables(expr_, expr_->schema, "drop-duplicates", h.value(), dedupe, dedupe));
}

namespace {
DataFrame top_rows(const FramePtr& frame, std::int64_t n, const std::string& column, bool largest) {
  if (n < 0) throw InputError(std::string(largest ? "nlargest" : "nsmallest") + ": n must not be negative");
  const int c = frame->schema.require(column, largest ? "nlargest" : "nsmallest");
  const ColumnType type = frame->schema.types[static_cast<std::size_t>(c)];
  if (type == ColumnType::string || type == ColumnType::categorical || type == ColumnType::bool_) {
    throw InputError(std::string(largest ? "nlargest" : "nsmallest") + ": column '" + column + "' is " + type_name(type) +
                     ", not a number or a timestamp");
  }
  auto top = [c, n, largest](const Table& t) {
    std::vector<std::int64_t> rows = sorted_rows(t, {c}, {!largest});
    const Column& col = t.column(static_cast<std::size_t>(c));
    std::vector<std::int64_t> kept;
    for (std::int64_t r : rows) {
      if (static_cast<std::int64_t>(kept.size()) == n) break;
      if (!col.is_na(r)) kept.push_back(r);
    }
    return t.take(kept);
  };
  TokenHasher h;
  h.add(n);
  h.add(column);
  return DataFrame(reduce_tables(frame, frame->schema, largest ? "nlargest" : "nsmallest", h.value(), top, top));
}
}  // namespace

DataFrame DataFrame::nlargest(std::int64_t n, const std::string& column) const { return top_rows(expr_, n, column, true); }
DataFrame DataFrame::nsmallest(std::int64_t n, const std::string& column) const {
  return top_rows(expr_, n, column, false);
}

GroupBy DataFrame::groupby(const std::string& by) const { return GroupBy(*this, {by}); }
GroupBy DataFrame::groupby(std::vector<std::string> by) const { return GroupBy(*this, std::move(by)); }
GroupBy DataFrame::groupby(std::initializer_list<std::string> by) const {
  return GroupBy(*this, std::vector<std::string>(by));
}

Table DataFrame::head(std::int64_t n, const ComputeOptions& options) const {
  // Partition by partition until n rows: most heads need the first only.
  std::vector<Table> parts;
  std::int64_t have = 0;
  const Graph& g = graph();
  for (std::int64_t i = 0; i < npartitions() && have < n; ++i) {
    const Key key = output_keys()[static_cast<std::size_t>(i)];
    std::vector<Value> v = tessera::compute(g, std::span<const Key>(&key, 1), options);
    parts.push_back(v[0].get<Table>());
    have += parts.back().num_rows();
  }
  if (parts.empty()) return finalize({});
  Table all = Table::concat(parts);
  return all.num_rows() > n ? all.slice(0, n) : all;
}

std::int64_t DataFrame::size(const ComputeOptions& options) const {
  const Table counts = groupby(std::vector<std::string>{}).size().compute(options);
  return counts.num_rows() == 0 ? 0 : counts.column(counts.num_columns() - 1).int64s()[0];
}

const Graph& DataFrame::graph() const {
  ensure_graph(*expr_);
  return *expr_->graph;
}

std::span<const Key> DataFrame::output_keys() const {
  ensure_graph(*expr_);
  return expr_->output_keys;
}

Table DataFrame::finalize(std::vector<Value> partitions) const {
  std::vector<Table> parts;
  parts.reserve(partitions.size());
  for (const Value& v : partitions) parts.push_back(v.get<Table>());
  if (parts.empty()) return empty_table(expr_->schema);
  return Table::concat(parts);
}

DataFrame DataFrame::from_persisted(std::vector<PersistedResult> partitions) const {
  auto nodes = std::make_shared<PersistedNodes>(expr_->name, expr_->token, std::move(partitions));
  auto e = from_nodes(expr_->schema, expr_->npartitions, expr_->name.str(), expr_->token, std::move(nodes));
  auto frame = std::const_pointer_cast<FrameExpr>(e);
  frame->index = expr_->index;
  frame->divisions = expr_->divisions;
  return DataFrame(std::move(e));
}

std::ostream& operator<<(std::ostream& out, const DataFrame& frame) {
  const FrameExpr& e = *frame.expr();
  char token[17];
  std::snprintf(token, sizeof token, "%08llx", static_cast<unsigned long long>(e.token & 0xffffffffu));
  out << "tessera.DataFrame<" << e.name.str() << "-" << token << ", npartitions=" << e.npartitions << ">\n";
  std::size_t width = 0;
  for (const auto& n : e.schema.names) width = std::max(width, n.size());
  for (std::size_t c = 0; c < e.schema.names.size(); ++c) {
    const std::string& n = e.schema.names[c];
    out << n << std::string(width - n.size() + 2, ' ') << type_name(e.schema.types[c]) << "\n";
  }
  return out;
}

DataFrame from_table(const Table& table, std::int64_t npartitions) {
  if (npartitions < 1) throw InputError("from_table: npartitions must be at least 1, not " + std::to_string(npartitions));
  std::vector<std::int64_t> starts;
  const std::int64_t rows = table.num_rows();
  for (std::int64_t i = 0; i <= npartitions; ++i) starts.push_back(rows * i / npartitions);
  TokenHasher h;
  h.mix(table_token(table));
  h.add(npartitions);
  return DataFrame(from_reader(schema_of(table), npartitions, "from_table", h.value(),
                               std::make_shared<TableSlices>(table, std::move(starts))));
}

// ---- Series ----

Series::Series(DataFrame frame, std::shared_ptr<const detail::ColumnExpr> expr, std::string name)
    : frame_(std::move(frame)), expr_(std::move(expr)), name_(std::move(name)) {}

ColumnType Series::dtype() const { return expr_->type; }

Series Series::isna() const { return Series(frame_, unary_expr(ColumnOp::isna, expr_), name_); }
Series Series::notna() const { return Series(frame_, unary_expr(ColumnOp::notna, expr_), name_); }
Series Series::fillna(const Literal& value) const {
  return Series(frame_, unary_expr(ColumnOp::fillna, expr_, {}, value), name_);
}
Series Series::astype(ColumnType type) const {
  return Series(frame_, unary_expr(ColumnOp::cast, expr_, {}, std::nullopt, type), name_);
}
Series Series::abs() const { return Series(frame_, unary_expr(ColumnOp::abs, expr_), name_); }
StringMethods Series::str() const { return StringMethods(*this); }
DatetimeMethods Series::dt() const { return DatetimeMethods(*this); }

DataFrame Series::to_frame() const {
  ColumnPtr expr = expr_;
  const std::string name = name_;
  Schema s;
  s.names = {name};
  s.types = {expr->type};
  TokenHasher h;
  h.add(name);
  h.mix(expr->token);
  s.origin = {h.value()};
  return DataFrame(derive(frame_.expr(), s, "series", h.value(), transform_of([expr, name](const Table& t, std::int64_t) {
                            return Table({name}, std::vector<Column>{evaluate(*expr, t)});
                          }),
                          true));
}

namespace {
Aggregate series_aggregate(const Series& s, const char* func, int ddof = 1) {
  if (s.expr()->op == ColumnOp::column && s.name() == s.expr()->column) {
    // A column of the frame itself: aggregated where it is (its reader can skip the other columns).
    return Aggregate(make_aggregate(s.frame().expr(), {}, {{s.name(), func}}, {s.name()}, ddof));
  }
  const std::string column = "__value";
  DataFrame frame = s.frame().assign(column, s);
  frame = frame[std::vector<std::string>{column}];
  return Aggregate(make_aggregate(frame.expr(), {}, {{column, func}}, {s.name()}, ddof));
}
}  // namespace

DataFrame Series::value_counts() const {
  const std::string name = name_;
  DataFrame frame = frame_.assign(name, *this)[std::vector<std::string>{name}];
  const DataFrame counts = frame.groupby(name).agg({{name, "size"}});
  // Most frequent first, ties by value; the count column named as pandas 2 names it.
  auto order = [name](const Table& t) {
    const Table sorted = t.take(sorted_rows(t, {1, 0}, {false, true}));
    return Table({name, "count"}, std::vector<std::shared_ptr<const Column>>{sorted.column_ptr(0), sorted.column_ptr(1)});
  };
  Schema s;
  s.names = {name, "count"};
  s.types = {counts.expr()->schema.types[0], ColumnType::int64};
  return DataFrame(derive(counts.expr(), s, "value-counts", 0, transform_of([order](const Table& t, std::int64_t) {
                            return order(t);
                          }),
                          false));
}

Aggregate Series::sum() const { return series_aggregate(*this, "sum"); }
Aggregate Series::mean() const { return series_aggregate(*this, "mean"); }
Aggregate Series::count() const { return series_aggregate(*this, "count"); }
Aggregate Series::min() const { return series_aggregate(*this, "min"); }
Aggregate Series::max() const { return series_aggregate(*this, "max"); }
Aggregate Series::var(int ddof) const { return series_aggregate(*this, "var", ddof); }
Aggregate Series::std(int ddof) const { return series_aggregate(*this, "std", ddof); }
Aggregate Series::nunique() const { return series_aggregate(*this, "nunique"); }

Series StringMethods::contains(const std::string& text) const {
  return Series(s_.frame(), unary_expr(ColumnOp::str_contains, s_.expr(), text), s_.name());
}
Series StringMethods::startswith(const std::string& text) const {
  return Series(s_.frame(), unary_expr(ColumnOp::str_startswith, s_.expr(), text), s_.name());
}
Series StringMethods::endswith(const std::string& text) const {
  return Series(s_.frame(), unary_expr(ColumnOp::str_endswith, s_.expr(), text), s_.name());
}
Series StringMethods::lower() const { return Series(s_.frame(), unary_expr(ColumnOp::str_lower, s_.expr()), s_.name()); }
Series StringMethods::upper() const { return Series(s_.frame(), unary_expr(ColumnOp::str_upper, s_.expr()), s_.name()); }
Series StringMethods::strip() const { return Series(s_.frame(), unary_expr(ColumnOp::str_strip, s_.expr()), s_.name()); }
Series StringMethods::len() const { return Series(s_.frame(), unary_expr(ColumnOp::str_len, s_.expr()), s_.name()); }
Series DatetimeMethods::year() const { return Series(s_.frame(), unary_expr(ColumnOp::dt_year, s_.expr()), s_.name()); }
Series DatetimeMethods::month() const { return Series(s_.frame(), unary_expr(ColumnOp::dt_month, s_.expr()), s_.name()); }
Series DatetimeMethods::day() const { return Series(s_.frame(), unary_expr(ColumnOp::dt_day, s_.expr()), s_.name()); }
Series DatetimeMethods::hour() const { return Series(s_.frame(), unary_expr(ColumnOp::dt_hour, s_.expr()), s_.name()); }
Series DatetimeMethods::dayofweek() const {
  return Series(s_.frame(), unary_expr(ColumnOp::dt_dayofweek, s_.expr()), s_.name());
}

namespace {
Series combine(ColumnOp op, const Series& a, const Series& b) {
  const FrameExpr& fa = *a.frame().expr();
  const FrameExpr& fb = *b.frame().expr();
  if (fa.token != fb.token && fa.rows == fb.rows) {
    // The same rows: evaluate on whichever frame has every column both read.
    if (usable_on(*a.expr(), fb) && usable_on(*b.expr(), fb)) {
      return Series(b.frame(), binary_expr(op, a.expr(), b.expr()), a.name());
    }
    if (usable_on(*a.expr(), fa) && usable_on(*b.expr(), fa)) {
      return Series(a.frame(), binary_expr(op, a.expr(), b.expr()), a.name());
    }
  }
  if (fa.token != fb.token) {
    throw InputError(std::string("'").append(a.name()).append("' and '").append(b.name()).append(
        "' come from different DataFrames (Tessera frames have no index to align them by)"));
  }
  return Series(a.frame(), binary_expr(op, a.expr(), b.expr()), a.name());
}
Series with_literal(ColumnOp op, const Series& a, const Literal& b) {
  return Series(a.frame(), binary_expr(op, a.expr(), literal_expr(b)), a.name());
}
Series literal_with(ColumnOp op, const Literal& a, const Series& b) {
  return Series(b.frame(), binary_expr(op, literal_expr(a), b.expr()), b.name());
}
}  // namespace

#define TESSERA_SERIES_OP(sym, op)                                                                        \
  Series operator sym(const Series& a, const Series& b) { return combine(ColumnOp::op, a, b); }           \
  Series operator sym(const Series& a, const Literal& b) { return with_literal(ColumnOp::op, a, b); }     \
  Series operator sym(const Literal& a, const Series& b) { return literal_with(ColumnOp::op, a, b); }
TESSERA_SERIES_OP(+, add)
TESSERA_SERIES_OP(-, subtract)
TESSERA_SERIES_OP(*, multiply)
TESSERA_SERIES_OP(/, divide)
TESSERA_SERIES_OP(==, equal)
TESSERA_SERIES_OP(!=, not_equal)
TESSERA_SERIES_OP(<, less)
TESSERA_SERIES_OP(<=, less_equal)
TESSERA_SERIES_OP(>, greater)
TESSERA_SERIES_OP(>=, greater_equal)
#undef TESSERA_SERIES_OP

Series operator&&(const Series& a, const Series& b) { return combine(ColumnOp::logical_and, a, b); }
Series operator||(const Series& a, const Series& b) { return combine(ColumnOp::logical_or, a, b); }
Series operator!(const Series& a) { return Series(a.frame(), unary_expr(ColumnOp::logical_not, a.expr()), a.name()); }
Series operator-(const Series& a) { return Series(a.frame(), unary_expr(ColumnOp::negate, a.expr()), a.name()); }

// ---- GroupBy ----

GroupBy::GroupBy(DataFrame frame, std::vector<std::string> by) : frame_(std::move(frame)), by_(std::move(by)) {
  for (const auto& b : by_) frame_.expr()->schema.require(b, "groupby");
}

DataFrame GroupBy::aggregate(const std::vector<std::pair<std::string, std::string>>& specs,
                             const std::vector<std::string>& names) const {
  AggregatePtr agg = make_aggregate(frame_.expr(), by_, specs, names);
  // The result is one partition: the aggregation's final node.
  class FinalNode final : public NodeSource {
   public:
    explicit FinalNode(AggregatePtr agg) : agg_(std::move(agg)) {}
    NodeId build(GraphBuilder& builder) const override { return build_aggregate(builder, *agg_); }

   private:
    AggregatePtr agg_;
  };
  if (split_out_ > 1) {
    class SplitNodes final : public NodeSource {
     public:
      SplitNodes(AggregatePtr agg, std::int64_t parts, std::uint64_t token)
          : agg_(std::move(agg)), parts_(parts), token_(token) {}
      NodeId build(GraphBuilder& builder) const override { return build_split_aggregate(builder, agg_, parts_, token_); }

     private:
      AggregatePtr agg_;
      std::int64_t parts_;
      std::uint64_t token_;
    };
    TokenHasher h;
    h.mix(agg->token);
    h.add(split_out_);
    return DataFrame(from_nodes(agg->out, split_out_, agg->name.str(), h.value(),
                                std::make_shared<SplitNodes>(agg, split_out_, h.value())));
  }
  return DataFrame(from_nodes(agg->out, 1, agg->name.str(), agg->token, std::make_shared<FinalNode>(agg)));
}

GroupBy GroupBy::split_out(std::int64_t parts) const {
  if (parts < 1) throw InputError("groupby: split_out must be at least 1, not " + std::to_string(parts));
  GroupBy g = *this;
  g.split_out_ = parts;
  return g;
}

DataFrame GroupBy::agg(const std::vector<std::pair<std::string, std::string>>& column_function) const {
  std::vector<std::string> names;
  for (const auto& [column, function] : column_function) names.push_back(column + "_" + function);
  return aggregate(column_function, names);
}

DataFrame GroupBy::size() const { return aggregate({{"", "size"}}, {"size"}); }

DataFrame GroupBy::Column::one(const std::string& function) const {
  return GroupBy(frame_, by_).split_out(split_out_).aggregate({{column_, function}}, {column_});
}

DataFrame GroupBy::Column::agg(const std::vector<std::string>& functions) const {
  std::vector<std::pair<std::string, std::string>> specs;
  for (const auto& f : functions) specs.emplace_back(column_, f);
  return GroupBy(frame_, by_).split_out(split_out_).agg(specs);
}

// ---- Aggregate ----

const Graph& Aggregate::graph() const {
  ensure_graph(*expr_);
  return *expr_->graph;
}

std::span<const Key> Aggregate::output_keys() const {
  ensure_graph(*expr_);
  return expr_->output_keys;
}

double Aggregate::finalize(std::vector<Value> results) const {
  const Table& t = results.at(0).get<Table>();
  if (t.num_rows() == 0) return std::numeric_limits<double>::quiet_NaN();
  const tessera::Column& c = t.column(t.num_columns() - 1);
  if (c.type() == ColumnType::string || c.type() == ColumnType::categorical) {
    throw InputError("the aggregate of '" + t.names().back() + "' is a string: use compute_table()");
  }
  return c.as_double(0);
}

Table Aggregate::compute_table(const ComputeOptions& options) const {
  std::vector<Value> v = tessera::compute(graph(), output_keys(), options);
  return v.at(0).get<Table>();
}

}  // namespace tessera::dataframe
