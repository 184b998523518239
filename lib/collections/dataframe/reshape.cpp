// Operations that move rows between partitions: merge, sort_values,
// set_index, shuffle (through the exchange, shuffle.cpp) and repartition
// (neighbouring partitions joined or cut, no exchange).
#include "collections/dataframe/frame_expr.hpp"

#include <tessera/error.hpp>
#include <tessera/runtime.hpp>
#include <tessera/token.hpp>

#include <algorithm>
#include <numeric>

namespace tessera::dataframe {
using namespace detail;

namespace {

std::uint64_t names_token(std::uint64_t seed, const std::vector<std::string>& names) {
  TokenHasher h;
  h.mix(seed);
  for (const auto& n : names) h.add(n);
  h.add(static_cast<std::int64_t>(names.size()));
  return h.value();
}

// ---- merge ----

// The one-partition small side, made ready to be shared by the joins on each rank.
class AsBroadcastSide final : public PartitionStep {
 public:
  Value finish(std::int64_t, Table t) const override { return Value::of(BroadcastSide(std::move(t))); }
};

// Each partition of the large side joined with the whole one-partition side.
class BroadcastJoin final : public PartitionStep {
 public:
  BroadcastJoin(JoinPlan plan, bool large_is_left) : plan_(std::move(plan)), large_is_left_(large_is_left) {}
  Value finish(std::int64_t, Table) const override { throw Error("a broadcast join needs its small side"); }
  Value finish(std::int64_t, Table t, std::span<const Value* const> extra) const override {
    return Value::of(join_broadcast(t, extra[0]->get<BroadcastSide>(), plan_, large_is_left_));
  }

 private:
  JoinPlan plan_;
  bool large_is_left_;
};

class BroadcastJoinNodes final : public NodeSource {
 public:
  BroadcastJoinNodes(FramePtr large, FramePtr small, JoinPlan plan, bool large_is_left, std::uint64_t token)
      : large_(std::move(large)), small_(std::move(small)), plan_(std::move(plan)), large_is_left_(large_is_left),
        token_(token) {}
  NodeId build(GraphBuilder& builder) const override {
    // Keys of the merge's own: the value is the small side with its index, not the frame's partition.
    const NodeId small = builder.add_partition_layer(*small_, KeyName("merge-broadcast"), token_,
                                                     std::make_shared<AsBroadcastSide>());
    return builder.add_partition_layer(*large_, KeyName("merge"), token_,
                                       std::make_shared<BroadcastJoin>(plan_, large_is_left_), {small});
  }

 private:
  FramePtr large_, small_;
  JoinPlan plan_;
  bool large_is_left_;
  std::uint64_t token_;
};

// The frame as one partition (its partitions concatenated in order).
FramePtr gathered(const FramePtr& frame) {
  if (frame->npartitions == 1) return frame;
  auto same = [](const Table& t) { return t; };
  return reduce_tables(frame, frame->schema, "gather", 0, same, same);
}

// ---- sort_values and set_index ----

constexpr std::int64_t sample_rows = 512;  // per partition: boundaries within ~1/512 of a partition's rows

// A partition's sample of its keys: rows evenly spaced through it, each
// standing for rows/k rows, and its smallest and largest key (weight 0), so
// the first and last divisions are exact. Rows whose first key is null are
// left out: they sort after every boundary, into the last part.
Table sample_keys(const Table& t, const std::vector<bool>& ascending) {
  std::vector<int> keys(t.num_columns());
  std::iota(keys.begin(), keys.end(), 0);
  std::vector<std::int64_t> valid;
  for (std::int64_t r = 0; r < t.num_rows(); ++r) {
    if (!t.column(0).is_na(r)) valid.push_back(r);
  }
  const auto n = static_cast<std::int64_t>(valid.size());
  std::vector<std::int64_t> rows;
  std::vector<double> weights;
  if (n > 0) {
    const std::int64_t k = std::min(n, sample_rows);
    for (std::int64_t i = 0; i < k; ++i) {
      rows.push_back(valid[static_cast<std::size_t>(i * n / k)]);
      weights.push_back(static_cast<double>(n) / static_cast<double>(k));
    }
    std::int64_t lo = valid[0], hi = valid[0];
    for (std::int64_t r : valid) {
      if (compare_rows(t, r, t, lo, keys, keys, ascending) < 0) lo = r;
      if (compare_rows(t, r, t, hi, keys, keys, ascending) > 0) hi = r;
    }
    rows.push_back(lo);
    weights.push_back(0);
    rows.push_back(hi);
    weights.push_back(0);
  }
  Table picked = t.take(rows);
  std::vector<std::string> names = picked.names();
  std::vector<std::shared_ptr<const Column>> columns;
  for (std::size_t c = 0; c < picked.num_columns(); ++c) columns.push_back(picked.column_ptr(c));
  ColumnBuilder w(ColumnType::float64);
  for (double x : weights) w.append(x);
  names.push_back("__weight");
  columns.push_back(std::make_shared<const Column>(w.finish()));
  return Table(std::move(names), std::move(columns));
}

struct Ranges {
  Table boundaries;               // parts - 1 rows of the key columns
  std::vector<Literal> divisions;  // one key: min, boundaries, max
};

Literal literal_at(const Column& c, std::int64_t r) {
  switch (c.type()) {
    case ColumnType::float64: return Literal(c.float64s()[static_cast<std::size_t>(r)]);
    case ColumnType::bool_: return Literal(c.bools()[static_cast<std::size_t>(r)] != 0);
    case ColumnType::string: case ColumnType::categorical: return Literal(std::string(c.string(r)));
    default: return Literal(c.int64s()[static_cast<std::size_t>(r)]);
  }
}

// Computes the keys' sample (a collective compute, the same on every rank)
// and cuts its weighted order into `parts` ranges of equal weight.
Ranges key_ranges(const FramePtr& frame, const std::vector<int>& keys, const std::vector<bool>& ascending,
                  std::int64_t parts, std::uint64_t token, const ComputeOptions& options) {
  std::vector<int> projected = keys;
  std::sort(projected.begin(), projected.end());
  projected.erase(std::unique(projected.begin(), projected.end()), projected.end());
  const FramePtr source = project(frame, projected);
  Schema out;
  std::vector<std::string> key_names;
  for (int k : keys) {
    key_names.push_back(frame->schema.names[static_cast<std::size_t>(k)]);
    out.names.push_back(key_names.back());
    out.types.push_back(frame->schema.types[static_cast<std::size_t>(k)]);
  }
  out.names.push_back("__weight");
  out.types.push_back(ColumnType::float64);
  auto chunk = [key_names, ascending](const Table& t) { return sample_keys(t.select(key_names), ascending); };
  auto same = [](const Table& t) { return t; };
  const Table sample = DataFrame(reduce_tables(source, out, "sort-sample", token, chunk, same)).compute(options);

  std::vector<int> sample_keys_at(keys.size());
  std::iota(sample_keys_at.begin(), sample_keys_at.end(), 0);
  std::vector<std::int64_t> order(static_cast<std::size_t>(sample.num_rows()));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    return compare_rows(sample, a, sample, b, sample_keys_at, sample_keys_at, ascending) < 0;
  });
  const auto weights = sample.column(keys.size()).float64s();
  double total = 0;
  for (double w : weights) total += w;
  std::vector<std::int64_t> cut;
  double seen = 0;
  std::size_t at = 0;
  for (std::int64_t b = 1; b < parts && !order.empty(); ++b) {
    const double target = total * static_cast<double>(b) / static_cast<double>(parts);
    while (at + 1 < order.size() && seen + weights[static_cast<std::size_t>(order[at])] < target) {
      seen += weights[static_cast<std::size_t>(order[at])];
      ++at;
    }
    cut.push_back(order[at]);
  }
  Ranges ranges;
  ranges.boundaries = sample.select(key_names).take(cut);
  // Divisions of one key column: its smallest value, the boundaries, its largest value.
  if (keys.size() == 1 && !order.empty()) {
    const Column& c = sample.column(0);
    ranges.divisions.push_back(literal_at(c, order.front()));
    for (std::int64_t r : cut) ranges.divisions.push_back(literal_at(c, r));
    ranges.divisions.push_back(literal_at(c, order.back()));
  }
  return ranges;
}

std::pair<FramePtr, Ranges> sorted_frame(const FramePtr& frame, const std::vector<std::string>& by,
                                         std::vector<bool> ascending, std::int64_t npartitions, const char* op) {
  if (by.empty()) throw InputError(std::string(op) + ": no column to sort by");
  if (ascending.empty()) ascending.assign(by.size(), true);
  if (ascending.size() != by.size()) {
    throw InputError(std::string(op) + ": " + std::to_string(by.size()) + " columns but " +
                     std::to_string(ascending.size()) + " ascending flags");
  }
  std::vector<int> keys;
  for (const auto& b : by) keys.push_back(frame->schema.require(b, op));
  const std::int64_t parts = npartitions > 0 ? npartitions : std::max<std::int64_t>(1, frame->npartitions);
  TokenHasher h;
  h.mix(names_token(frame->token, by));
  for (bool a : ascending) h.add(static_cast<int>(a));
  h.add(op);
  const std::uint64_t token = h.value();
  Ranges ranges = key_ranges(frame, keys, ascending, parts, token, {});
  auto finish = [keys, ascending](std::int64_t, std::vector<Table> sides) {
    return sides[0].take(sorted_rows(sides[0], keys, ascending));
  };
  FramePtr out = exchange_frames({{frame, range_partitioner(keys, ascending, ranges.boundaries)}}, parts, frame->schema,
                                 op, token, finish);
  return {std::move(out), std::move(ranges)};
}

// ---- repartition ----

class Repartitioned final : public Layer {
 public:
  Repartitioned(std::int64_t from, std::int64_t to) : from_(from), to_(to) {}
  Value run(std::span<const std::int64_t> index, std::span<const Value* const> inputs) const override {
    const std::int64_t j = index[0];
    if (to_ <= from_) {  // neighbours joined
      std::vector<Table> parts;
      for (const Value* v : inputs) parts.push_back(v->get<Table>());
      return Value::of(parts.size() == 1 ? parts[0] : Table::concat(parts));
    }
    // Partition i cut into the outputs [first, last) that fall on it, equal in rows.
    const std::int64_t i = j * from_ / to_;
    const std::int64_t first = (i * to_ + from_ - 1) / from_, last = ((i + 1) * to_ + from_ - 1) / from_;
    const Table& t = inputs[0]->get<Table>();
    const std::int64_t k = j - first, n = last - first, rows = t.num_rows();
    return Value::of(t.slice(k * rows / n, (k + 1) * rows / n - k * rows / n));
  }
  static void inputs_of(std::int64_t from, std::int64_t to, NodeId first, std::int64_t j, std::vector<NodeId>& deps) {
    if (to <= from) {
      for (std::int64_t i = j * from / to; i < (j + 1) * from / to; ++i) deps.push_back(first + static_cast<NodeId>(i));
    } else {
      deps.push_back(first + static_cast<NodeId>(j * from / to));
    }
  }

 private:
  std::int64_t from_, to_;
};

class RepartitionNodes final : public NodeSource {
 public:
  RepartitionNodes(FramePtr input, std::int64_t to, std::uint64_t token)
      : input_(std::move(input)), to_(to), token_(token) {}
  NodeId build(GraphBuilder& builder) const override {
    const NodeId first = builder.add_partition_layer(*input_, input_->name, input_->token, keep_partition());
    const std::int64_t from = input_->npartitions;
    return builder.add_layer(KeyName("repartition"), token_, to_, std::make_shared<Repartitioned>(from, to_),
                             [&](std::span<const std::int64_t> block, std::vector<NodeId>& deps) {
                               Repartitioned::inputs_of(from, to_, first, block[0], deps);
                             });
  }

 private:
  FramePtr input_;
  std::int64_t to_;
  std::uint64_t token_;
};

}  // namespace

DataFrame DataFrame::merge(const DataFrame& right, const MergeOptions& o) const {
  const FramePtr& l = expr_;
  const FramePtr& r = right.expr();
  const JoinHow how = join_how(o.how);
  JoinPlan plan = plan_join(l->schema, r->schema, how, o.on, o.left_on, o.right_on, o.suffixes);
  TokenHasher h;
  h.mix(l->token);
  h.mix(r->token);
  h.add(o.how);
  h.mix(names_token(names_token(names_token(0, o.on), o.left_on), o.right_on));
  h.add(o.suffixes.first);
  h.add(o.suffixes.second);
  // Broadcast the side whose unmatched rows the join drops (the right of an
  // inner or left join, the left of an inner or right join).
  const bool can_broadcast_right = how == JoinHow::inner || how == JoinHow::left;
  const bool can_broadcast_left = how == JoinHow::inner || how == JoinHow::right;
  int broadcast_side = 0;  // 1: right, 2: left
  if (o.broadcast < 0) {
    // A few partitions against many: sending the small side whole to every
    // rank moves fewer bytes than hash-cutting both sides (when partitions
    // are alike, ranks x small < large), and leaves the large side where it
    // is, its columns passing into the result uncopied. At most 8 partitions
    // (about 1 GiB at the default partition size): each rank holds that side
    // whole. One rank counts as two, so that there the small side is under a
    // third of the rows.
    // Several partitions only where each rank's joins share one index (one
    // int64 key, the right side broadcast; join_broadcast): any other join
    // would hash the whole small side again in every partition.
    const auto ranks = std::max<std::int64_t>(2, Runtime::current() ? Runtime::current()->size() : 1);
    const bool int64_key = plan.right_keys.size() == 1 && [&] {
      const ColumnType t = r->schema.types[static_cast<std::size_t>(plan.right_keys[0])];
      return t == ColumnType::int64 || t == ColumnType::timestamp;
    }();
    const bool few_right = int64_key && r->npartitions <= 8 && r->npartitions * ranks < l->npartitions;
    if (can_broadcast_right && (r->npartitions == 1 || few_right)) broadcast_side = 1;
    else if (can_broadcast_left && l->npartitions == 1) broadcast_side = 2;
  } else if (o.broadcast > 0) {
    if (can_broadcast_right && (r->npartitions <= l->npartitions || !can_broadcast_left)) broadcast_side = 1;
    else if (can_broadcast_left) broadcast_side = 2;
    else throw InputError("merge: an outer join cannot broadcast a side (it keeps both sides' unmatched rows)");
  }
  if (broadcast_side != 0) {
    h.add(broadcast_side);
    const std::uint64_t token = h.value();
    const bool large_is_left = broadcast_side == 1;
    const FramePtr& large = large_is_left ? l : r;
    FramePtr small = gathered(large_is_left ? r : l);
    auto nodes = std::make_shared<BroadcastJoinNodes>(large, small, plan, large_is_left, token);
    return DataFrame(from_nodes(plan.out, large->npartitions, "merge", token, std::move(nodes)));
  }
  const std::int64_t parts = o.npartitions > 0 ? o.npartitions : std::max(l->npartitions, r->npartitions);
  const Schema out = plan.out;
  std::vector<ExchangeSide> sides{{l, hash_partitioner(plan.left_keys)}, {r, hash_partitioner(plan.right_keys)}};
  auto finish = [plan = std::move(plan)](std::int64_t, std::vector<Table> sides) {
    return join_tables(sides[0], sides[1], plan);
  };
  return DataFrame(exchange_frames(sides, parts, out, "merge", h.value(), std::move(finish)));
}

DataFrame DataFrame::merge(const DataFrame& right, const std::string& on, const std::string& how) const {
  MergeOptions o;
  o.on = {on};
  o.how = how;
  return merge(right, o);
}

DataFrame merge(const DataFrame& left, const DataFrame& right, const MergeOptions& options) {
  return left.merge(right, options);
}

DataFrame DataFrame::sort_values(const std::vector<std::string>& by, const std::vector<bool>& ascending,
                                 std::int64_t npartitions) const {
  return DataFrame(sorted_frame(expr_, by, ascending, npartitions, "sort_values").first);
}

DataFrame DataFrame::sort_values(const std::string& by, bool ascending, std::int64_t npartitions) const {
  return sort_values(std::vector<std::string>{by}, std::vector<bool>{ascending}, npartitions);
}

DataFrame DataFrame::set_index(const std::string& column, std::int64_t npartitions) const {
  auto [sorted, ranges] = sorted_frame(expr_, {column}, {true}, npartitions, "set_index");
  // The index first, the other columns after it in their order.
  Schema s;
  std::vector<std::string> order{column};
  for (const auto& n : expr_->schema.names) {
    if (n != column) order.push_back(n);
  }
  for (const auto& n : order) {
    const auto i = static_cast<std::size_t>(sorted->schema.find(n));
    s.names.push_back(n);
    s.types.push_back(sorted->schema.types[i]);
    s.origin.push_back(sorted->schema.origin[i]);
  }
  auto reorder = transform_of([order](const Table& t, std::int64_t) { return t.select(order); });
  auto indexed = std::const_pointer_cast<FrameExpr>(
      derive(sorted, std::move(s), "set-index", names_token(0, order), std::move(reorder), /*keeps_rows=*/true));
  indexed->index = column;
  indexed->divisions = std::move(ranges.divisions);
  return DataFrame(std::move(indexed));
}

DataFrame DataFrame::shuffle(const std::vector<std::string>& on, std::int64_t npartitions) const {
  if (on.empty()) throw InputError("shuffle: no column to shuffle on");
  std::vector<int> keys;
  for (const auto& c : on) keys.push_back(expr_->schema.require(c, "shuffle"));
  const std::int64_t parts = npartitions > 0 ? npartitions : std::max<std::int64_t>(1, expr_->npartitions);
  auto finish = [](std::int64_t, std::vector<Table> sides) { return std::move(sides[0]); };
  return DataFrame(exchange_frames({{expr_, hash_partitioner(keys)}}, parts, expr_->schema, "shuffle",
                                   names_token(expr_->token, on), finish));
}

DataFrame DataFrame::repartition(std::int64_t npartitions) const {
  if (npartitions < 1) throw InputError("repartition: npartitions must be at least 1, not " + std::to_string(npartitions));
  if (npartitions == expr_->npartitions) return *this;
  TokenHasher h;
  h.mix(expr_->token);
  h.add(npartitions);
  auto nodes = std::make_shared<RepartitionNodes>(expr_, npartitions, h.value());
  auto e = std::const_pointer_cast<FrameExpr>(from_nodes(expr_->schema, npartitions, "repartition", h.value(), nodes));
  e->schema.origin = expr_->schema.origin;  // the same rows in the same order
  e->rows = expr_->rows;
  e->index = expr_->index;  // sorted still; divisions unknown
  return DataFrame(std::move(e));
}

std::vector<Literal> DataFrame::divisions() const { return expr_->divisions; }
const std::string& DataFrame::index() const { return expr_->index; }

}  // namespace tessera::dataframe
