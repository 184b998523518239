// Group-by aggregation as a tree reduction (STYLE.md §8.5): each partition
// is hash-aggregated into a small state table (keys, then each function's
// state columns), states are merged eight at a time, and the last merge
// gives the result, one row per group sorted by the keys (pandas' sort=True;
// null keys dropped, pandas' dropna=True). Aggregations skip nulls and NaN.
// nunique keeps the distinct (keys, value) rows instead of a fixed state.
#include "collections/dataframe/frame_expr.hpp"
#include "collections/dataframe/group_index.hpp"

#include <tessera/error.hpp>
#include <tessera/exchange.hpp>
#include <tessera/token.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

namespace tessera::dataframe::detail {

AggFunc agg_func(std::string_view name) {
  static constexpr std::pair<std::string_view, AggFunc> all[] = {
      {"sum", AggFunc::sum},   {"mean", AggFunc::mean},   {"count", AggFunc::count}, {"size", AggFunc::size},
      {"min", AggFunc::min},   {"max", AggFunc::max},     {"var", AggFunc::var},     {"std", AggFunc::std},
      {"first", AggFunc::first}, {"last", AggFunc::last}, {"nunique", AggFunc::nunique}};
  for (const auto& [n, f] : all) {
    if (n == name) return f;
  }
  throw InputError(std::string("unknown aggregation '").append(name).append(
      "' (sum, mean, count, size, min, max, var, std, first, last, nunique)"));
}

const char* agg_name(AggFunc f) {
  switch (f) {
    case AggFunc::sum: return "sum";
    case AggFunc::mean: return "mean";
    case AggFunc::count: return "count";
    case AggFunc::size: return "size";
    case AggFunc::min: return "min";
    case AggFunc::max: return "max";
    case AggFunc::var: return "var";
    case AggFunc::std: return "std";
    case AggFunc::first: return "first";
    case AggFunc::last: return "last";
    case AggFunc::nunique: return "nunique";
  }
  return "?";
}

namespace {

bool textual(ColumnType t) { return t == ColumnType::string || t == ColumnType::categorical; }

ColumnType result_type(AggFunc f, ColumnType in) {
  switch (f) {
    case AggFunc::sum: return in == ColumnType::float64 ? ColumnType::float64 : ColumnType::int64;
    case AggFunc::mean: case AggFunc::var: case AggFunc::std: return ColumnType::float64;
    case AggFunc::count: case AggFunc::size: case AggFunc::nunique: return ColumnType::int64;
    default: return in == ColumnType::categorical ? ColumnType::string : in;
  }
}

// ---- The state of an aggregation: a table and, per nunique, the distinct rows ----

struct State {
  Table groups;                  // keys, then each spec's state columns
  std::vector<Table> distinct;   // per nunique spec: keys, then the value
  std::size_t nbytes() const {
    std::size_t n = groups.nbytes();
    for (const Table& t : distinct) n += t.nbytes();
    return n;
  }
};

}  // namespace
}  // namespace tessera::dataframe::detail

template <>
struct tessera::Transport<tessera::dataframe::detail::State> {
  static void encode(const tessera::dataframe::detail::State& s, ByteWriter& out) {
    out.put(s.groups);
    out.put(static_cast<std::uint64_t>(s.distinct.size()));
    for (const Table& t : s.distinct) out.put(t);
  }
  static tessera::dataframe::detail::State decode(ByteReader& in) {
    tessera::dataframe::detail::State s;
    in.get(s.groups);
    const auto n = in.get<std::uint64_t>();
    for (std::uint64_t i = 0; i < n; ++i) s.distinct.push_back(in.get<Table>());
    return s;
  }
};

namespace tessera::dataframe::detail {
namespace {

// ---- Accumulators, one per spec ----

struct Acc {
  std::vector<double> d0, d1, d2;      // sum | count, mean, M2 (var) | value (float min/max/first/last)
  std::vector<std::int64_t> i0, i1;    // count/size/sum of ints | ordinal (first/last)
  std::vector<std::uint8_t> has;       // min/max/first/last: a value seen
  std::vector<std::string> s;          // text min/max/first/last
  void resize(std::size_t n) {
    d0.resize(n, 0), d1.resize(n, 0), d2.resize(n, 0);
    i0.resize(n, 0), i1.resize(n, 0);
    has.resize(n, 0);
    s.resize(n);
  }
};

enum class ValueKind { real, integer, text };
ValueKind kind_of(ColumnType t) {
  if (t == ColumnType::float64) return ValueKind::real;
  if (textual(t)) return ValueKind::text;
  return ValueKind::integer;  // int64, bool, timestamp
}

std::int64_t int_at(const Column& c, std::int64_t r) {
  return c.type() == ColumnType::bool_ ? c.bools()[static_cast<std::size_t>(r)] : c.int64s()[static_cast<std::size_t>(r)];
}

void merge_moments(Acc& a, std::size_t g, double n, double mean, double m2) {
  if (n == 0) return;
  const double na = a.d0[g], total = na + n, delta = mean - a.d1[g];
  a.d1[g] += delta * n / total;
  a.d2[g] += m2 + delta * delta * na * n / total;
  a.d0[g] = total;
}

// Aggregates partitions (add_rows) or states (add_state) into groups.
class Aggregator {
 public:
  Aggregator(const AggregateExpr& e) : e_(e), index_(e.keys.size()), accs_(e.specs.size()) {
    for (int k : e.keys) key_types_.push_back(e.input->schema.types[static_cast<std::size_t>(k)]);
    for (std::size_t s = 0; s < e.specs.size(); ++s) {
      if (e.specs[s].func == AggFunc::nunique) {
        nunique_index_.emplace_back(s, std::make_unique<GroupIndex>(e.keys.size() + 1));
      }
    }
  }

  void add_rows(const Table& t, std::int64_t partition) {
    std::vector<std::shared_ptr<const Column>> keys;
    for (int k : e_.keys) keys.push_back(t.column_ptr(static_cast<std::size_t>(k)));
    gids_.resize(static_cast<std::size_t>(t.num_rows()));
    index_.assign(keys, gids_);
    grow();
    for (std::size_t s = 0; s < e_.specs.size(); ++s) {
      const AggSpec& spec = e_.specs[s];
      if (spec.func == AggFunc::size) {
        for (std::int64_t g : gids_) {
          if (g >= 0) ++accs_[s].i0[static_cast<std::size_t>(g)];
        }
        continue;
      }
      const Column& c = t.column(static_cast<std::size_t>(spec.column));
      if (spec.func == AggFunc::nunique) {
        add_distinct(s, keys, t.column_ptr(static_cast<std::size_t>(spec.column)));
        continue;
      }
      add_values(s, c, partition);
    }
  }

  void add_state(const State& st) {
    const Table& t = st.groups;
    std::vector<std::shared_ptr<const Column>> keys;
    for (std::size_t k = 0; k < e_.keys.size(); ++k) keys.push_back(t.column_ptr(k));
    gids_.resize(static_cast<std::size_t>(t.num_rows()));
    index_.assign(keys, gids_);
    grow();
    std::size_t col = e_.keys.size(), distinct = 0;
    for (std::size_t s = 0; s < e_.specs.size(); ++s) {
      const AggSpec& spec = e_.specs[s];
      Acc& a = accs_[s];
      switch (spec.func) {
        case AggFunc::size: case AggFunc::count: {
          const auto n = t.column(col++).int64s();
          for (std::size_t r = 0; r < gids_.size(); ++r) a.i0[static_cast<std::size_t>(gids_[r])] += n[r];
          break;
        }
        case AggFunc::sum: {
          const Column& v = t.column(col++);
          for (std::size_t r = 0; r < gids_.size(); ++r) {
            const auto g = static_cast<std::size_t>(gids_[r]);
            if (v.type() == ColumnType::float64) a.d0[g] += v.float64s()[r];
            else a.i0[g] += v.int64s()[r];
          }
          break;
        }
        case AggFunc::mean: {
          const auto sum = t.column(col++).float64s();
          const auto n = t.column(col++).int64s();
          for (std::size_t r = 0; r < gids_.size(); ++r) {
            const auto g = static_cast<std::size_t>(gids_[r]);
            a.d0[g] += sum[r];
            a.i0[g] += n[r];
          }
          break;
        }
        case AggFunc::var: case AggFunc::std: {
          const auto n = t.column(col++).float64s();
          const auto mean = t.column(col++).float64s();
          const auto m2 = t.column(col++).float64s();
          for (std::size_t r = 0; r < gids_.size(); ++r) merge_moments(a, static_cast<std::size_t>(gids_[r]), n[r], mean[r], m2[r]);
          break;
        }
        case AggFunc::min: case AggFunc::max: case AggFunc::first: case AggFunc::last: {
          const Column& v = t.column(col++);
          const bool ordered = spec.func == AggFunc::first || spec.func == AggFunc::last;
          std::span<const std::int64_t> ord;
          if (ordered) ord = t.column(col++).int64s();
          for (std::size_t r = 0; r < gids_.size(); ++r) {
            if (!v.is_valid(static_cast<std::int64_t>(r))) continue;
            offer(s, static_cast<std::size_t>(gids_[r]), v, static_cast<std::int64_t>(r), ordered ? ord[r] : 0);
          }
          break;
        }
        case AggFunc::nunique: {
          const Table& d = st.distinct[distinct];
          std::vector<std::shared_ptr<const Column>> cols;
          for (std::size_t c = 0; c < d.num_columns(); ++c) cols.push_back(d.column_ptr(c));
          std::vector<std::int64_t> ignored;
          // (Its keys are groups already: the state's groups table holds them all.)
          nunique_index_[distinct].second->assign(cols, ignored);
          ++distinct;
          break;
        }
      }
    }
  }

  State state() const {
    State st;
    std::vector<std::string> names;
    std::vector<Column> cols = index_.key_columns(key_types_);
    for (std::size_t k = 0; k < e_.keys.size(); ++k) names.push_back(std::string("k").append(std::to_string(k)));
    const std::int64_t n = index_.size();
    for (std::size_t s = 0; s < e_.specs.size(); ++s) {
      const AggSpec& spec = e_.specs[s];
      const Acc& a = accs_[s];
      const std::string p = std::string("s").append(std::to_string(s)).append(".");
      auto ints = [&](const std::vector<std::int64_t>& v, const char* what) {
        ColumnBuilder b(ColumnType::int64);
        b.reserve(n);
        for (std::int64_t g = 0; g < n; ++g) b.append(v[static_cast<std::size_t>(g)]);
        cols.push_back(b.finish());
        names.push_back(p + what);
      };
      auto reals = [&](const std::vector<double>& v, const char* what) {
        ColumnBuilder b(ColumnType::float64);
        b.reserve(n);
        for (std::int64_t g = 0; g < n; ++g) b.append(v[static_cast<std::size_t>(g)]);
        cols.push_back(b.finish());
        names.push_back(p + what);
      };
      switch (spec.func) {
        case AggFunc::size: case AggFunc::count: ints(a.i0, "n"); break;
        case AggFunc::sum:
          if (input_type(spec) == ColumnType::float64) reals(a.d0, "sum");
          else ints(a.i0, "sum");
          break;
        case AggFunc::mean: reals(a.d0, "sum"), ints(a.i0, "n"); break;
        case AggFunc::var: case AggFunc::std: reals(a.d0, "n"), reals(a.d1, "mean"), reals(a.d2, "m2"); break;
        case AggFunc::min: case AggFunc::max: case AggFunc::first: case AggFunc::last:
          cols.push_back(value_column(s, nullptr));
          names.push_back(p + "v");
          if (spec.func == AggFunc::first || spec.func == AggFunc::last) ints(a.i1, "ord");
          break;
        case AggFunc::nunique: break;
      }
    }
    st.groups = Table(std::move(names), std::move(cols));
    for (const auto& [s, idx] : nunique_index_) {
      std::vector<ColumnType> types = key_types_;
      types.push_back(input_type(e_.specs[s]));
      std::vector<Column> dcols = idx->key_columns(types);
      std::vector<std::string> dnames;
      for (std::size_t c = 0; c < dcols.size(); ++c) dnames.push_back(std::string("d").append(std::to_string(c)));
      st.distinct.push_back(Table(std::move(dnames), std::move(dcols)));
    }
    return st;
  }

  Table result() {
    const std::vector<std::int64_t> order = index_.sorted();
    std::vector<std::string> names;
    std::vector<Column> cols;
    {
      std::vector<Column> keys = index_.key_columns(key_types_);
      for (std::size_t k = 0; k < keys.size(); ++k) {
        names.push_back(e_.out.names[k]);
        cols.push_back(keys[k].take(order));
      }
    }
    // nunique: count the distinct rows per group.
    std::vector<std::vector<std::int64_t>> unique_counts;
    for (const auto& [s, idx] : nunique_index_) {
      std::vector<ColumnType> types = key_types_;
      types.push_back(input_type(e_.specs[s]));
      const std::vector<Column> dcols = idx->key_columns(types);
      std::vector<std::shared_ptr<const Column>> dkeys;
      for (std::size_t c = 0; c + 1 < dcols.size(); ++c) dkeys.push_back(std::make_shared<const Column>(dcols[c]));
      std::vector<std::int64_t> dg(static_cast<std::size_t>(idx->size()), 0);
      index_.assign(dkeys, dg);
      grow();
      std::vector<std::int64_t> counts(static_cast<std::size_t>(index_.size()), 0);
      for (std::int64_t g : dg) ++counts[static_cast<std::size_t>(g)];
      unique_counts.push_back(std::move(counts));
    }
    std::size_t u = 0;
    for (std::size_t s = 0; s < e_.specs.size(); ++s) {
      const AggSpec& spec = e_.specs[s];
      const Acc& a = accs_[s];
      names.push_back(spec.out_name);
      const ColumnType type = e_.out.types[e_.keys.size() + s];
      ColumnBuilder b(type);
      b.reserve(static_cast<std::int64_t>(order.size()));
      for (std::int64_t gi : order) {
        const auto g = static_cast<std::size_t>(gi);
        switch (spec.func) {
          case AggFunc::size: case AggFunc::count: b.append(a.i0[g]); break;
          case AggFunc::sum:
            if (type == ColumnType::float64) b.append(a.d0[g]);
            else b.append(a.i0[g]);
            break;
          case AggFunc::mean:
            if (a.i0[g] == 0) b.append_null();
            else b.append(a.d0[g] / static_cast<double>(a.i0[g]));
            break;
          case AggFunc::var: case AggFunc::std: {
            if (a.d0[g] - spec.ddof <= 0) {
              b.append_null();
              break;
            }
            const double var = a.d2[g] / (a.d0[g] - spec.ddof);
            b.append(spec.func == AggFunc::std ? std::sqrt(var) : var);
            break;
          }
          case AggFunc::nunique: b.append(unique_counts[u][g]); break;
          default: break;
        }
      }
      if (spec.func == AggFunc::nunique) ++u;
      if (spec.func == AggFunc::min || spec.func == AggFunc::max || spec.func == AggFunc::first ||
          spec.func == AggFunc::last) {
        cols.push_back(value_column(s, &order));
      } else {
        cols.push_back(b.finish());
      }
    }
    return Table(std::move(names), std::move(cols));
  }

 private:
  ColumnType input_type(const AggSpec& spec) const {
    return spec.column < 0 ? ColumnType::int64 : e_.input->schema.types[static_cast<std::size_t>(spec.column)];
  }

  void grow() {
    for (Acc& a : accs_) a.resize(static_cast<std::size_t>(index_.size()));
  }

  void add_values(std::size_t s, const Column& c, std::int64_t partition) {
    const AggSpec& spec = e_.specs[s];
    Acc& a = accs_[s];
    const std::int64_t rows = c.size();
    if (c.type() == ColumnType::float64 && !c.has_nulls() &&
        (spec.func == AggFunc::sum || spec.func == AggFunc::mean || spec.func == AggFunc::count)) {
      // The common case in one tight loop: NaN is the only missing value.
      const double* v = c.float64s().data();
      const std::int64_t* gid = gids_.data();
      const bool sums = spec.func != AggFunc::count, counts = spec.func != AggFunc::sum;
      for (std::int64_t r = 0; r < rows; ++r) {
        const std::int64_t g = gid[r];
        if (g < 0 || std::isnan(v[r])) continue;
        if (sums) a.d0[static_cast<std::size_t>(g)] += v[r];
        if (counts) ++a.i0[static_cast<std::size_t>(g)];
      }
      return;
    }
    const ValueKind kind = kind_of(c.type());
    const std::int64_t base = partition << 40;
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::int64_t gid = gids_[static_cast<std::size_t>(r)];
      if (gid < 0 || c.is_na(r)) continue;
      const auto g = static_cast<std::size_t>(gid);
      switch (spec.func) {
        case AggFunc::count: ++a.i0[g]; break;
        case AggFunc::sum:
          if (kind == ValueKind::real) a.d0[g] += c.float64s()[static_cast<std::size_t>(r)];
          else a.i0[g] += int_at(c, r);
          break;
        case AggFunc::mean:
          a.d0[g] += c.as_double(r);
          ++a.i0[g];
          break;
        case AggFunc::var: case AggFunc::std: {  // Welford
          const double v = c.as_double(r);
          a.d0[g] += 1;
          const double d = v - a.d1[g];
          a.d1[g] += d / a.d0[g];
          a.d2[g] += d * (v - a.d1[g]);
          break;
        }
        default: offer(s, g, c, r, base + r);
      }
    }
  }

  // A candidate value for min/max/first/last of group g.
  void offer(std::size_t s, std::size_t g, const Column& c, std::int64_t r, std::int64_t ordinal) {
    const AggSpec& spec = e_.specs[s];
    Acc& a = accs_[s];
    const ValueKind kind = kind_of(c.type());
    bool take = !a.has[g];
    if (!take) {
      switch (spec.func) {
        case AggFunc::first: take = ordinal < a.i1[g]; break;
        case AggFunc::last: take = ordinal > a.i1[g]; break;
        default: {
          int cmp;
          if (kind == ValueKind::real) {
            const double v = c.float64s()[static_cast<std::size_t>(r)];
            cmp = v < a.d0[g] ? -1 : v > a.d0[g];
          } else if (kind == ValueKind::integer) {
            const std::int64_t v = int_at(c, r);
            cmp = v < a.i0[g] ? -1 : v > a.i0[g];
          } else {
            const int k = c.string(r).compare(a.s[g]);
            cmp = k < 0 ? -1 : k > 0;
          }
          take = spec.func == AggFunc::min ? cmp < 0 : cmp > 0;
        }
      }
    }
    if (!take) return;
    a.has[g] = 1;
    a.i1[g] = ordinal;
    if (kind == ValueKind::real) a.d0[g] = c.float64s()[static_cast<std::size_t>(r)];
    else if (kind == ValueKind::integer) a.i0[g] = int_at(c, r);
    else a.s[g] = std::string(c.string(r));
  }

  // min/max/first/last values as a column (groups in `order`, or all in group order).
  Column value_column(std::size_t s, const std::vector<std::int64_t>* order) const {
    const Acc& a = accs_[s];
    const ColumnType in = input_type(e_.specs[s]);
    const ColumnType type = in == ColumnType::categorical ? ColumnType::string : in;
    ColumnBuilder b(type);
    const auto n = static_cast<std::size_t>(order ? order->size() : static_cast<std::size_t>(index_.size()));
    b.reserve(static_cast<std::int64_t>(n));
    for (std::size_t k = 0; k < n; ++k) {
      const auto g = static_cast<std::size_t>(order ? (*order)[k] : static_cast<std::int64_t>(k));
      if (!a.has[g]) {
        b.append_null();
        continue;
      }
      switch (type) {
        case ColumnType::float64: b.append(a.d0[g]); break;
        case ColumnType::bool_: b.append(a.i0[g] != 0); break;
        case ColumnType::string: b.append(std::string_view(a.s[g])); break;
        default: b.append(a.i0[g]);
      }
    }
    return b.finish();
  }

  void add_distinct(std::size_t s, const std::vector<std::shared_ptr<const Column>>& keys,
                    std::shared_ptr<const Column> value) {
    for (auto& [spec, idx] : nunique_index_) {
      if (spec != s) continue;
      std::vector<std::shared_ptr<const Column>> cols = keys;
      cols.push_back(std::move(value));
      std::vector<std::int64_t> ignored;
      idx->assign(cols, ignored);
      return;
    }
  }

  const AggregateExpr& e_;
  GroupIndex index_;
  std::vector<ColumnType> key_types_;
  std::vector<Acc> accs_;
  std::vector<std::int64_t>& gids_ = scratch_gids();  // reused by the thread's next partition
  std::vector<std::pair<std::size_t, std::unique_ptr<GroupIndex>>> nunique_index_;

  static std::vector<std::int64_t>& scratch_gids() {
    thread_local std::vector<std::int64_t> gids;
    return gids;
  }
};

// ---- Graph stages ----

class ChunkStep final : public PartitionStep {
 public:
  explicit ChunkStep(AggregatePtr e) : e_(std::move(e)) {}
  Value finish(std::int64_t i, Table t) const override {
    Aggregator agg(*e_);
    agg.add_rows(t, i);
    return Value::of(agg.state());
  }

 private:
  AggregatePtr e_;
};

class CombineLayer final : public Layer {
 public:
  CombineLayer(AggregatePtr e, bool final) : e_(std::move(e)), final_(final) {}
  Value run(std::span<const std::int64_t>, std::span<const Value* const> inputs) const override {
    Aggregator agg(*e_);
    for (const Value* v : inputs) agg.add_state(v->get<State>());
    if (final_) return Value::of(agg.result());
    return Value::of(agg.state());
  }

 private:
  AggregatePtr e_;
  bool final_;
};

// split_out: a partition's state cut by key hash into one piece per part.
class SplitChunkStep final : public PartitionStep {
 public:
  SplitChunkStep(AggregatePtr e, std::int64_t parts) : e_(std::move(e)), parts_(parts) {
    std::vector<int> keys(e_->keys.size());
    std::iota(keys.begin(), keys.end(), 0);
    by_keys_ = hash_partitioner(keys);  // a state's tables start with the key columns
  }
  Value finish(std::int64_t i, Table t) const override {
    Aggregator agg(*e_);
    agg.add_rows(t, i);
    const State st = agg.state();
    std::vector<State> pieces(static_cast<std::size_t>(parts_));
    auto cut = [&](const Table& table, auto&& put) {
      std::vector<std::int32_t> part;
      by_keys_->parts_of(table, parts_, part);
      std::vector<std::vector<std::int64_t>> rows(static_cast<std::size_t>(parts_));
      for (std::size_t r = 0; r < part.size(); ++r) rows[static_cast<std::size_t>(part[r])].push_back(static_cast<std::int64_t>(r));
      for (std::size_t p = 0; p < rows.size(); ++p) put(p, table.take(rows[p]));
    };
    cut(st.groups, [&](std::size_t p, Table piece) { pieces[p].groups = std::move(piece); });
    for (const Table& d : st.distinct) cut(d, [&](std::size_t p, Table piece) { pieces[p].distinct.push_back(std::move(piece)); });
    Shards shards;
    for (std::size_t p = 0; p < pieces.size(); ++p) {
      if (pieces[p].groups.num_rows() > 0) shards.add(static_cast<std::int64_t>(p), Value::of(std::move(pieces[p])));
    }
    return Value::of(std::move(shards));
  }

 private:
  AggregatePtr e_;
  std::int64_t parts_;
  std::shared_ptr<const Partitioner> by_keys_;
};

// A part's groups: every piece of state sent to it, merged and finished.
class ReadStates final : public Layer {
 public:
  explicit ReadStates(AggregatePtr e) : e_(std::move(e)) {}
  Value run(std::span<const std::int64_t> index, std::span<const Value* const> inputs) const override {
    Aggregator agg(*e_);
    for (const Value& v : inputs[0]->get<ExchangeInboxPtr>()->take(index[0])) agg.add_state(v.get<State>());
    return Value::of(agg.result());
  }

 private:
  AggregatePtr e_;
};

}  // namespace

NodeId build_split_aggregate(GraphBuilder& builder, const AggregatePtr& e, std::int64_t parts, std::uint64_t token) {
  const std::string prefix(e->name.str());
  const NodeId chunks = builder.add_partition_layer(*e->input, KeyName(prefix + "-split"), token,
                                                    std::make_shared<SplitChunkStep>(e, parts));
  const NodeId exchange = builder.add_exchange(KeyName(prefix + "-exchange"), token, chunks, e->input->npartitions, parts);
  const NodeId first = builder.add_layer(KeyName(prefix), token, parts, std::make_shared<ReadStates>(e),
                                         [&](std::span<const std::int64_t>, std::vector<NodeId>& deps) { deps.push_back(exchange); });
  for (std::int64_t j = 0; j < parts; ++j) builder.graph().reads_exchange_part(first + static_cast<NodeId>(j), j);
  return first;
}

AggregatePtr make_aggregate(const FramePtr& input, const std::vector<std::string>& keys,
                            const std::vector<std::pair<std::string, std::string>>& specs,
                            const std::vector<std::string>& out_names, int ddof) {
  auto e = std::make_shared<AggregateExpr>();
  TokenHasher h;
  h.mix(input->token);
  // Only the columns it reads: a CSV source then parses no others.
  std::vector<int> needed;
  for (const auto& k : keys) needed.push_back(input->schema.require(k, "groupby"));
  for (const auto& [column, function] : specs) {
    if (function != "size") needed.push_back(input->schema.require(column, std::string("aggregating with ").append(function)));
  }
  // A table of no columns has no rows either: size() alone reads one column.
  if (needed.empty() && !input->schema.names.empty()) needed.push_back(0);
  std::sort(needed.begin(), needed.end());
  needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
  e->input = project(input, needed);
  const FramePtr& in_frame = e->input;
  for (const auto& k : keys) {
    const int i = in_frame->schema.require(k, "groupby");
    e->keys.push_back(i);
    e->out.names.push_back(k);
    const ColumnType t = in_frame->schema.types[static_cast<std::size_t>(i)];
    e->out.types.push_back(t == ColumnType::categorical ? ColumnType::string : t);
    h.add(k);
  }
  for (std::size_t s = 0; s < specs.size(); ++s) {
    const auto& [column, function] = specs[s];
    AggSpec spec;
    spec.func = agg_func(function);
    spec.ddof = ddof;
    spec.out_name = out_names[s];
    ColumnType in = ColumnType::int64;
    if (spec.func != AggFunc::size) {
      spec.column = in_frame->schema.require(column, std::string("aggregating with ").append(function));
      in = in_frame->schema.types[static_cast<std::size_t>(spec.column)];
      const bool numeric_only = spec.func == AggFunc::sum || spec.func == AggFunc::mean || spec.func == AggFunc::var ||
                                spec.func == AggFunc::std;
      if (numeric_only && (textual(in) || (in == ColumnType::timestamp && spec.func != AggFunc::mean))) {
        throw InputError(std::string("cannot take the ").append(function).append(" of column '").append(column).append(
            "' of type ").append(type_name(in)));
      }
      if (in == ColumnType::timestamp && spec.func == AggFunc::mean) {
        throw InputError(std::string("cannot take the mean of column '").append(column).append("' of type ").append(
            type_name(in)));
      }
    }
    e->out.names.push_back(spec.out_name);
    e->out.types.push_back(result_type(spec.func, in));
    h.add(column);
    h.add(function);
    h.add(spec.out_name);
    h.add(ddof);
    e->specs.push_back(std::move(spec));
  }
  for (std::size_t i = 0; i < e->out.names.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (e->out.names[i] == e->out.names[j]) {
        throw InputError("groupby: the result would have two columns named '" + e->out.names[i] + "'");
      }
    }
  }
  e->name = KeyName(keys.empty() ? "aggregate" : "groupby");
  e->token = h.value();
  return e;
}

NodeId build_aggregate(GraphBuilder& builder, const AggregateExpr& e) {
  // The layers keep their own copy of what they need (e itself may be a member of a caller's frame).
  auto copy = std::make_shared<AggregateExpr>();
  copy->input = e.input;
  copy->keys = e.keys;
  copy->specs = e.specs;
  copy->out = e.out;
  copy->name = e.name;
  copy->token = e.token;
  const AggregatePtr owned = std::move(copy);
  const std::string prefix(e.name.str());
  const NodeId chunks = builder.add_partition_layer(*e.input, KeyName(prefix + "-chunk"), e.token,
                                                    std::make_shared<ChunkStep>(owned));
  return add_merge_tree(builder, chunks, e.input->npartitions, prefix, e.token,
                        [&](bool final) { return std::make_shared<CombineLayer>(owned, final); });
}

std::vector<std::int64_t> distinct_rows(const Table& t, const std::vector<int>& columns) {
  GroupIndex index(columns.size(), /*nulls_are_values=*/true);
  std::vector<std::shared_ptr<const Column>> keys;
  for (int c : columns) keys.push_back(t.column_ptr(static_cast<std::size_t>(c)));
  std::vector<std::int64_t> gids(static_cast<std::size_t>(t.num_rows()));
  index.assign(keys, gids);
  if (columns.empty()) return t.num_rows() ? std::vector<std::int64_t>{0} : std::vector<std::int64_t>{};
  return index.first_rows();
}

namespace {
// One numeric key without nulls (an id, a timestamp, a measurement): sorted
// as (value, row) pairs, so ties keep their row order with a plain sort.
template <class T>
std::vector<std::int64_t> sorted_by_values(std::span<const T> values, bool ascending) {
  std::vector<std::pair<T, std::int64_t>> pairs(values.size());
  for (std::size_t r = 0; r < values.size(); ++r) pairs[r] = {values[r], static_cast<std::int64_t>(r)};
  if (ascending) {
    std::sort(pairs.begin(), pairs.end());
  } else {
    std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
  }
  std::vector<std::int64_t> rows(values.size());
  for (std::size_t r = 0; r < rows.size(); ++r) rows[r] = pairs[r].second;
  return rows;
}
}  // namespace

std::vector<std::int64_t> sorted_rows(const Table& t, const std::vector<int>& columns, const std::vector<bool>& ascending) {
  if (columns.size() == 1) {
    const Column& c = t.column(static_cast<std::size_t>(columns[0]));
    if (!c.has_nulls() && (c.type() == ColumnType::int64 || c.type() == ColumnType::timestamp)) {
      return sorted_by_values(c.int64s(), ascending[0]);
    }
    if (!c.has_nulls() && c.type() == ColumnType::float64 &&
        std::none_of(c.float64s().begin(), c.float64s().end(), [](double v) { return std::isnan(v); })) {
      return sorted_by_values(c.float64s(), ascending[0]);
    }
  }
  std::vector<std::int64_t> rows(static_cast<std::size_t>(t.num_rows()));
  std::iota(rows.begin(), rows.end(), 0);
  std::stable_sort(rows.begin(), rows.end(), [&](std::int64_t x, std::int64_t y) {
    return compare_rows(t, x, t, y, columns, columns, ascending) < 0;  // nulls last, as pandas' na_position='last'
  });
  return rows;
}

void ensure_graph(const AggregateExpr& e) {
  std::call_once(e.graph_once, [&] {
    GraphBuilder builder;
    const NodeId last = build_aggregate(builder, e);
    Graph g = builder.take();
    e.output_keys.push_back(g.node(last).key);
    e.graph = std::make_shared<const Graph>(std::move(g));
  });
}

}  // namespace tessera::dataframe::detail
