// The shuffle (STYLE.md §8.6): partitions rearranged by a key through one
// exchange per input frame. Each input partition's task (its source,
// transform and the split, fused) cuts its rows into one piece per part;
// the exchange carries the pieces to the parts' ranks; a task per part
// finishes them (sorts them, joins two sides, drops duplicates). Graph size:
// inputs + 1 + parts tasks per side, never inputs x parts.
#include "collections/dataframe/frame_expr.hpp"
#include "collections/dataframe/group_index.hpp"

#include <tessera/error.hpp>
#include <tessera/exchange.hpp>
#include <tessera/token.hpp>

#include <algorithm>
#include <functional>
#include <numeric>

namespace tessera::dataframe::detail {

int compare_rows(const Table& a, std::int64_t i, const Table& b, std::int64_t j, const std::vector<int>& a_columns,
                 const std::vector<int>& b_columns, const std::vector<bool>& ascending) {
  for (std::size_t k = 0; k < a_columns.size(); ++k) {
    const Column& x = a.column(static_cast<std::size_t>(a_columns[k]));
    const Column& y = b.column(static_cast<std::size_t>(b_columns[k]));
    const bool nx = x.is_na(i), ny = y.is_na(j);
    if (nx || ny) {
      if (nx == ny) continue;
      return nx ? 1 : -1;  // nulls last, whatever the direction (pandas' na_position='last')
    }
    const int cmp = compare_values(x, i, y, j);
    if (cmp != 0) return ascending[k] ? cmp : -cmp;
  }
  return 0;
}

namespace {

class HashPartitioner final : public Partitioner {
 public:
  explicit HashPartitioner(std::vector<int> columns) : columns_(std::move(columns)) {
    if (columns_.empty()) throw InputError("hash partitioning needs at least one column");
    TokenHasher h;
    h.add(std::string_view("hash"));
    for (int c : columns_) h.add(c);
    token_ = h.value();
  }
  void parts_of(const Table& t, std::int64_t parts, std::vector<std::int32_t>& out) const override {
    const auto rows = static_cast<std::size_t>(t.num_rows());
    thread_local std::vector<std::uint64_t> scratch;  // reused: fresh pages fault slowly
    std::vector<std::uint64_t>& hashes = scratch;
    hashes.assign(rows, 0x9e3779b97f4a7c15ull);
    for (int c : columns_) {
      const Column& col = t.column(static_cast<std::size_t>(c));
      for (std::size_t r = 0; r < rows; ++r) {
        const auto i = static_cast<std::int64_t>(r);
        hashes[r] = mix64(hashes[r] ^ (col.is_na(i) ? 0x5bd1e995ull : value_hash(col, i)));
      }
    }
    out.resize(rows);
    // The high 32 bits pick the part (Lemire's reduction): no division per row.
    for (std::size_t r = 0; r < rows; ++r) {
      out[r] = static_cast<std::int32_t>(((hashes[r] >> 32) * static_cast<std::uint64_t>(parts)) >> 32);
    }
  }
  std::uint64_t token() const override { return token_; }

 private:
  std::vector<int> columns_;
  std::uint64_t token_ = 0;
};

class RangePartitioner final : public Partitioner {
 public:
  RangePartitioner(std::vector<int> columns, std::vector<bool> ascending, Table boundaries)
      : columns_(std::move(columns)), ascending_(std::move(ascending)), boundaries_(std::move(boundaries)) {
    bcolumns_.resize(columns_.size());
    std::iota(bcolumns_.begin(), bcolumns_.end(), 0);
    TokenHasher h;
    h.add(std::string_view("range"));
    for (std::size_t k = 0; k < columns_.size(); ++k) {
      h.add(columns_[k]);
      h.add(static_cast<int>(ascending_[k]));
    }
    for (std::int64_t r = 0; r < boundaries_.num_rows(); ++r) {
      for (std::size_t c = 0; c < boundaries_.num_columns(); ++c) h.add(boundaries_.column(c).format(r));
    }
    token_ = h.value();
  }
  void parts_of(const Table& t, std::int64_t parts, std::vector<std::int32_t>& out) const override {
    const std::int64_t nb = boundaries_.num_rows();
    out.resize(static_cast<std::size_t>(t.num_rows()));
    if (columns_.size() == 1) {  // one integer key without nulls: a binary search over the values themselves
      const Column& c = t.column(static_cast<std::size_t>(columns_[0]));
      const Column& b = boundaries_.column(0);
      const bool ints = [](ColumnType x) { return x == ColumnType::int64 || x == ColumnType::timestamp; }(c.type());
      if (ints && b.type() == c.type() && !c.has_nulls() && !b.has_nulls()) {
        const auto keys = c.int64s();
        const auto bounds = b.int64s();
        for (std::size_t r = 0; r < keys.size(); ++r) {
          const auto at = ascending_[0] ? std::upper_bound(bounds.begin(), bounds.end(), keys[r])
                                        : std::upper_bound(bounds.begin(), bounds.end(), keys[r], std::greater<>());
          out[r] = static_cast<std::int32_t>(std::min<std::int64_t>(at - bounds.begin(), parts - 1));
        }
        return;
      }
    }
    for (std::int64_t r = 0; r < t.num_rows(); ++r) {
      // The number of boundaries at or before the row: rows equal to a boundary
      // go after it, so equal keys always meet in one part.
      std::int64_t lo = 0, hi = nb;
      while (lo < hi) {
        const std::int64_t mid = (lo + hi) / 2;
        if (compare_rows(boundaries_, mid, t, r, bcolumns_, columns_, ascending_) <= 0) lo = mid + 1;
        else hi = mid;
      }
      out[static_cast<std::size_t>(r)] = static_cast<std::int32_t>(std::min(lo, parts - 1));
    }
  }
  std::uint64_t token() const override { return token_; }

 private:
  std::vector<int> columns_, bcolumns_;
  std::vector<bool> ascending_;
  Table boundaries_;
  std::uint64_t token_ = 0;
};

// A sender: cuts its partition into one piece per part that gets rows.
class SplitStep final : public PartitionStep {
 public:
  SplitStep(std::shared_ptr<const Partitioner> partitioner, std::int64_t parts)
      : partitioner_(std::move(partitioner)), parts_(parts) {}
  Value finish(std::int64_t, Table t) const override {
    Shards shards;
    if (t.num_rows() == 0) return Value::of(std::move(shards));
    thread_local std::vector<std::int32_t> part_scratch;  // reused: fresh pages fault slowly
    thread_local std::vector<std::int64_t> rows_scratch;
    std::vector<std::int32_t>& part = part_scratch;
    partitioner_->parts_of(t, parts_, part);
    // Rows of each part, in order: a counting sort of the row numbers.
    std::vector<std::int64_t> start(static_cast<std::size_t>(parts_) + 1, 0);
    for (std::int32_t p : part) ++start[static_cast<std::size_t>(p) + 1];
    std::partial_sum(start.begin(), start.end(), start.begin());
    std::vector<std::int64_t>& rows = rows_scratch;
    rows.resize(part.size());
    std::vector<std::int64_t> next(start.begin(), start.end() - 1);
    for (std::size_t r = 0; r < part.size(); ++r) rows[static_cast<std::size_t>(next[static_cast<std::size_t>(part[r])]++)] = static_cast<std::int64_t>(r);
    for (std::int64_t p = 0; p < parts_; ++p) {
      const auto b = start[static_cast<std::size_t>(p)], e = start[static_cast<std::size_t>(p) + 1];
      if (b == e) continue;
      if (e - b == t.num_rows()) {  // every row goes to one part: the partition itself, uncopied
        shards.add(p, Value::of(t));
        continue;
      }
      shards.add(p, Value::of(t.take(std::span<const std::int64_t>(rows.data() + b, static_cast<std::size_t>(e - b)))));
    }
    return Value::of(std::move(shards));
  }

 private:
  std::shared_ptr<const Partitioner> partitioner_;
  std::int64_t parts_;
};

// A part's task: its pieces from each side's exchange, concatenated, finished.
class ReadParts final : public Layer {
 public:
  ReadParts(std::vector<Schema> sides, PartFinish finish) : sides_(std::move(sides)), finish_(std::move(finish)) {}
  Value run(std::span<const std::int64_t> index, std::span<const Value* const> inputs) const override {
    const std::int64_t part = index[0];
    std::vector<Table> sides;
    for (std::size_t s = 0; s < inputs.size(); ++s) {
      std::vector<Table> pieces;
      for (const Value& v : inputs[s]->get<ExchangeInboxPtr>()->take(part)) pieces.push_back(v.get<Table>());
      sides.push_back(pieces.empty() ? empty_table(sides_[s]) : pieces.size() == 1 ? pieces[0] : Table::concat(pieces));
    }
    return Value::of(finish_(part, std::move(sides)));
  }

 private:
  std::vector<Schema> sides_;
  PartFinish finish_;
};

class ExchangedParts final : public NodeSource {
 public:
  ExchangedParts(std::vector<ExchangeSide> sides, std::int64_t parts, std::string op, std::uint64_t token,
                 PartFinish finish)
      : sides_(std::move(sides)), parts_(parts), op_(std::move(op)), token_(token), finish_(std::move(finish)) {}
  NodeId build(GraphBuilder& builder) const override {
    std::vector<NodeId> exchanges;
    std::vector<Schema> schemas;
    for (std::size_t s = 0; s < sides_.size(); ++s) {
      const ExchangeSide& side = sides_[s];
      TokenHasher h;
      h.mix(token_);
      h.add(static_cast<std::int64_t>(s));
      const NodeId senders = builder.add_partition_layer(*side.frame, KeyName(op_ + "-split"), h.value(),
                                                         std::make_shared<SplitStep>(side.partitioner, parts_));
      exchanges.push_back(
          builder.add_exchange(KeyName(op_ + "-exchange"), h.value(), senders, side.frame->npartitions, parts_));
      schemas.push_back(side.frame->schema);
    }
    const NodeId first = builder.add_layer(KeyName(op_), token_, parts_, std::make_shared<ReadParts>(schemas, finish_),
                                           [&](std::span<const std::int64_t>, std::vector<NodeId>& deps) {
                                             deps.insert(deps.end(), exchanges.begin(), exchanges.end());
                                           });
    for (std::int64_t j = 0; j < parts_; ++j) builder.graph().reads_exchange_part(first + static_cast<NodeId>(j), j);
    return first;
  }

 private:
  std::vector<ExchangeSide> sides_;
  std::int64_t parts_;
  std::string op_;
  std::uint64_t token_;
  PartFinish finish_;
};

}  // namespace

std::shared_ptr<const Partitioner> hash_partitioner(std::vector<int> columns) {
  return std::make_shared<HashPartitioner>(std::move(columns));
}

std::shared_ptr<const Partitioner> range_partitioner(std::vector<int> columns, std::vector<bool> ascending,
                                                     Table boundaries) {
  return std::make_shared<RangePartitioner>(std::move(columns), std::move(ascending), std::move(boundaries));
}

FramePtr exchange_frames(const std::vector<ExchangeSide>& sides, std::int64_t parts, Schema out, std::string_view op,
                         std::uint64_t token, PartFinish finish) {
  if (parts < 1) throw InputError(std::string(op).append(": the number of partitions must be at least 1, not ").append(std::to_string(parts)));
  TokenHasher h;
  h.mix(token);
  h.add(parts);
  for (const auto& side : sides) {
    h.mix(side.frame->token);
    h.mix(side.partitioner->token());
  }
  const std::uint64_t t = h.value();
  auto nodes = std::make_shared<ExchangedParts>(sides, parts, std::string(op), t, std::move(finish));
  return from_nodes(std::move(out), parts, op, t, std::move(nodes));
}

}  // namespace tessera::dataframe::detail
