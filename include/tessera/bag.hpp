#pragma once
/// Bag: a parallel collection of records (Dask's Bag: iterators, Toolz,
/// PySpark), partitions living on the ranks.
///
///     #include <tessera/bag.hpp>
///     namespace db = tessera::bag;
///
///     auto words = db::from_sequence(std::vector<std::string>{"a", "b", "a", "c"}, 2);
///     auto counts = words.frequencies().compute();        // {("a", 2), ("b", 1), ("c", 1)}
///     auto lengths = words.map([](const std::string& w) { return std::int64_t(w.size()); });
///     std::int64_t total = lengths.sum().compute();       // 4, the same on every rank
///     auto top = counts_bag.topk(2, [](const auto& p) { return p.second; });
///
/// A Bag<T> is lazy: each operation adds to a graph of one task per
/// partition, and per-partition operations (map, filter, flatten,
/// map_partitions) run as one task per partition together with whatever
/// consumes them. A partition is a std::vector<T>; items must be copyable,
/// and must travel between ranks (include/tessera/transport.hpp) when a
/// computation moves them. Functions may be lambdas with captures: every rank
/// builds the same graph (the driver is replicated), and a function is told
/// apart by its type and the order operations were made in, as in Delayed.
/// Reductions (fold, count, sum, frequencies, topk, distinct, foldby) are
/// tree reductions of small partial results; groupby goes through the
/// shuffle (one exchange, pieces sent straight to the rank of their part).
/// frequencies, distinct, groupby and foldby need std::hash<K> and ==.
#include <tessera/collection.hpp>
#include <tessera/compute.hpp>
#include <tessera/dataframe.hpp>
#include <tessera/delayed.hpp>
#include <tessera/detail/bag_core.hpp>
#include <tessera/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <ranges>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace tessera::bag {

template <class T>
class Bag;

/// One lazy value made from a bag (Dask's Item): compute() gives it, the
/// same on every rank.
template <class T>
class Item {
 public:
  explicit Item(detail::BagPtr e) : e_(std::move(e)) {}
  T compute(const ComputeOptions& options = {}) const { return tessera::compute(*this, options); }

  // The Collection protocol (collection.hpp).
  const Graph& graph() const { return detail::graph_of(*e_); }
  std::span<const Key> output_keys() const { return detail::output_keys_of(*e_); }
  const detail::BagPtr& expr() const { return e_; }
  T finalize(std::vector<Value> parts) const { return static_cast<T>(parts.at(0).get<std::vector<Stored>>().at(0)); }

 private:
  // A bool is held as a byte: std::vector<bool> has no buffer to travel as.
  using Stored = std::conditional_t<std::is_same_v<T, bool>, std::uint8_t, T>;
  detail::BagPtr e_;
};

namespace detail {
template <class T>
const std::vector<T>& items(const Value& v) {
  return v.get<std::vector<T>>();
}
// A hash the same in every process of one program (libstdc++'s std::hash is),
// mixed so that neighbouring integers spread over the parts.
template <class K>
std::uint64_t spread_hash(const K& k) {
  std::uint64_t x = static_cast<std::uint64_t>(std::hash<K>{}(k));
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return x;
}
// Distinct keys with a value each, in the order the keys first came.
template <class K, class V>
struct OrderedMap {
  std::unordered_map<K, std::size_t> index;
  std::vector<std::pair<K, V>> entries;
  template <class Make>
  V& at(const K& k, Make&& make) {
    auto [it, added] = index.try_emplace(k, entries.size());
    if (added) entries.emplace_back(k, make());
    return entries[it->second].second;
  }
};
}  // namespace detail

template <class T>
class Bag {
 public:
  using value_type = T;
  explicit Bag(detail::BagPtr e) : e_(std::move(e)) {}

  std::int64_t npartitions() const { return detail::npartitions(*e_); }

  /// f(item) for every item.
  template <class F>
  auto map(F f) const {
    using U = std::decay_t<std::invoke_result_t<const F&, const T&>>;
    return Bag<U>(derive<F>("map", [f = std::move(f)](const Value& v, std::int64_t) {
      const auto& in = detail::items<T>(v);
      std::vector<U> out;
      out.reserve(in.size());
      for (const T& x : in) out.push_back(f(x));
      return Value::of(std::move(out));
    }));
  }

  /// The items for which pred(item) is true.
  template <class F>
  Bag filter(F pred) const {
    return Bag(derive<F>("filter", [pred = std::move(pred)](const Value& v, std::int64_t) {
      const auto& in = detail::items<T>(v);
      std::vector<T> out;
      for (const T& x : in) {
        if (pred(x)) out.push_back(x);
      }
      return Value::of(std::move(out));
    }));
  }

  /// f(partition) for every partition: f takes a const std::vector<T>& and
  /// returns a std::vector<U>.
  template <class F>
  auto map_partitions(F f) const {
    using R = std::decay_t<std::invoke_result_t<const F&, const std::vector<T>&>>;
    using U = typename R::value_type;
    return Bag<U>(derive<F>("map-partitions", [f = std::move(f)](const Value& v, std::int64_t) {
      return Value::of(R(f(detail::items<T>(v))));
    }));
  }

  /// For a bag of JSON records: each record's `key` (Dask's pluck). A
  /// record without it is an InputError naming the key, unless a default is
  /// given. Straight after read_json, only that field of each line is parsed.
  Bag<Json> pluck(const std::string& key) const
    requires std::same_as<T, Json>
  {
    return pluck_field_of(key, Value());
  }
  Bag<Json> pluck(const std::string& key, Json default_value) const
    requires std::same_as<T, Json>
  {
    return pluck_field_of(key, Value::of(std::move(default_value)));
  }
  /// Element `index` of each JSON array record.
  Bag<Json> pluck(std::int64_t index) const
    requires std::same_as<T, Json>
  {
    return map([index](const Json& record) { return record[index]; });
  }
  /// Several keys of each record at once: a vector of their values.
  Bag<std::vector<Json>> pluck(std::vector<std::string> keys) const
    requires std::same_as<T, Json>
  {
    return map([keys = std::move(keys)](const Json& record) {
      std::vector<Json> out;
      out.reserve(keys.size());
      for (const auto& k : keys) out.push_back(record[k]);
      return out;
    });
  }

  /// The items of every item (a bag of ranges becomes a bag of their elements).
  auto flatten() const {
    using U = std::ranges::range_value_t<T>;
    return Bag<U>(derive<Bag>("flatten", [](const Value& v, std::int64_t) {
      std::vector<U> out;
      for (const T& range : detail::items<T>(v)) out.insert(out.end(), std::begin(range), std::end(range));
      return Value::of(std::move(out));
    }));
  }

  /// Dask's reduction: perpartition(items) -> R on every partition, then
  /// aggregate(partials) -> R on up to eight partial results at a time.
  template <class P, class A>
  auto reduction(P perpartition, A aggregate, std::string_view name = "reduction") const {
    using R = std::decay_t<std::invoke_result_t<const P&, const std::vector<T>&>>;
    auto chunk = [perpartition = std::move(perpartition)](const Value& v, std::int64_t) {
      return Value::of(std::vector<R>{perpartition(detail::items<T>(v))});
    };
    auto combine = [aggregate = std::move(aggregate)](std::vector<Value> parts, bool) {
      std::vector<R> partials;
      partials.reserve(parts.size());
      for (const Value& p : parts) {
        const auto& r = detail::items<R>(p);
        partials.insert(partials.end(), r.begin(), r.end());
      }
      return Value::of(std::vector<R>{aggregate(partials)});
    };
    return Item<R>(detail::reduce(e_, name, detail::op_token(name, typeid(P), token()), std::move(chunk),
                                  std::move(combine)));
  }

  /// Dask's fold: binop(acc, item) from `initial` within each partition,
  /// then combine(acc, acc) across them (from `initial` too).
  template <class B, class C, class R>
  Item<R> fold(B binop, C combine, R initial) const {
    return reduction(
        [binop = std::move(binop), initial](const std::vector<T>& xs) {
          R acc = initial;
          for (const T& x : xs) acc = binop(std::move(acc), x);
          return acc;
        },
        [combine = std::move(combine), initial](const std::vector<R>& partials) {
          R acc = initial;
          for (const R& p : partials) acc = combine(std::move(acc), p);
          return acc;
        },
        "fold");
  }

  Item<std::int64_t> count() const {
    return reduction([](const std::vector<T>& xs) { return static_cast<std::int64_t>(xs.size()); },
                     [](const std::vector<std::int64_t>& n) { return std::accumulate(n.begin(), n.end(), std::int64_t{0}); },
                     "count");
  }
  Item<T> sum() const {
    return fold([](T a, const T& b) { return a + b; }, [](T a, const T& b) { return a + b; }, T{});
  }
  /// The mean (NaN for an empty bag).
  Item<double> mean() const {
    return from_moments("mean", [](const Moments& m) { return m.n > 0 ? m.mean : std::numeric_limits<double>::quiet_NaN(); });
  }
  /// The variance and standard deviation with `ddof` (Dask's Bag: 0).
  Item<double> var(int ddof = 0) const {
    return from_moments("var", [ddof](const Moments& m) {
      return m.n > ddof ? m.m2 / (m.n - ddof) : std::numeric_limits<double>::quiet_NaN();
    });
  }
  Item<double> std(int ddof = 0) const {
    return from_moments("std", [ddof](const Moments& m) {
      return m.n > ddof ? std::sqrt(m.m2 / (m.n - ddof)) : std::numeric_limits<double>::quiet_NaN();
    });
  }
  /// The smallest and largest item; InputError for an empty bag.
  Item<T> min() const { return extreme(false); }
  Item<T> max() const { return extreme(true); }
  /// Whether any (all) items are true (an empty bag: false, true).
  Item<bool> any() const {
    return Item<bool>(reduction(
                          [](const std::vector<T>& xs) {
                            return std::uint8_t(std::any_of(xs.begin(), xs.end(), [](const T& x) { return bool(x); }));
                          },
                          [](const std::vector<std::uint8_t>& r) { return std::uint8_t(std::find(r.begin(), r.end(), 1) != r.end()); },
                          "any")
                          .expr());
  }
  Item<bool> all() const {
    return Item<bool>(reduction(
                          [](const std::vector<T>& xs) {
                            return std::uint8_t(std::all_of(xs.begin(), xs.end(), [](const T& x) { return bool(x); }));
                          },
                          [](const std::vector<std::uint8_t>& r) { return std::uint8_t(std::find(r.begin(), r.end(), 0) == r.end()); },
                          "all")
                          .expr());
  }

  /// Each distinct item and how often it occurs, in the order items first
  /// appear (one partition).
  Bag<std::pair<T, std::int64_t>> frequencies() const {
    using Entry = std::pair<T, std::int64_t>;
    auto chunk = [](const Value& v, std::int64_t) {
      detail::OrderedMap<T, std::int64_t> counts;
      for (const T& x : detail::items<T>(v)) ++counts.at(x, [] { return std::int64_t{0}; });
      return Value::of(std::move(counts.entries));
    };
    auto combine = [](std::vector<Value> parts, bool) {
      detail::OrderedMap<T, std::int64_t> counts;
      for (const Value& p : parts) {
        for (const Entry& e : detail::items<Entry>(p)) counts.at(e.first, [] { return std::int64_t{0}; }) += e.second;
      }
      return Value::of(std::move(counts.entries));
    };
    const std::uint64_t op = detail::op_token("frequencies", typeid(Bag), token());
    if constexpr (std::is_same_v<T, Json>) {
      // read_json(...).pluck(key): each read task counts the field's values as it parses them.
      if (auto counted = detail::count_reader(*e_)) {
        auto counts_as_read = [](const Value& v, std::int64_t) { return v; };
        return Bag<Entry>(detail::reduce(counted(), "frequencies", op, std::move(counts_as_read), std::move(combine)));
      }
    }
    return Bag<Entry>(detail::reduce(e_, "frequencies", op, std::move(chunk), std::move(combine)));
  }

  /// The distinct items, in the order they first appear (one partition).
  Bag distinct() const {
    auto unique = [](std::vector<T> xs) {
      std::unordered_set<T> seen;
      std::vector<T> out;
      for (T& x : xs) {
        if (seen.insert(x).second) out.push_back(std::move(x));
      }
      return out;
    };
    auto chunk = [unique](const Value& v, std::int64_t) { return Value::of(unique(detail::items<T>(v))); };
    auto combine = [unique](std::vector<Value> parts, bool) {
      std::vector<T> all;
      for (const Value& p : parts) all.insert(all.end(), detail::items<T>(p).begin(), detail::items<T>(p).end());
      return Value::of(unique(std::move(all)));
    };
    return Bag(detail::reduce(e_, "distinct", detail::op_token("distinct", typeid(Bag), token()), std::move(chunk),
                              std::move(combine)));
  }

  /// The k largest items by key(item) (the items themselves when no key is
  /// given), largest first, ties in bag order (one partition).
  template <class F = std::identity>
  Bag topk(std::int64_t k, F key = {}) const {
    if (k < 0) throw InputError("topk: k must not be negative");
    auto top = [k, key](std::vector<T> xs) {
      std::stable_sort(xs.begin(), xs.end(), [&](const T& a, const T& b) { return key(b) < key(a); });
      if (static_cast<std::int64_t>(xs.size()) > k) xs.resize(static_cast<std::size_t>(k));
      return xs;
    };
    auto chunk = [top](const Value& v, std::int64_t) { return Value::of(top(detail::items<T>(v))); };
    auto combine = [top](std::vector<Value> parts, bool) {
      std::vector<T> all;
      for (const Value& p : parts) all.insert(all.end(), detail::items<T>(p).begin(), detail::items<T>(p).end());
      return Value::of(top(std::move(all)));
    };
    return Bag(detail::reduce(e_, "topk", detail::op_token("topk", typeid(F), token()), std::move(chunk),
                              std::move(combine)));
  }

  /// Dask's foldby: items grouped by key(item), each group folded with
  /// binop(acc, item) from `initial` within partitions and combine(acc, acc)
  /// across them; (key, result) pairs in the order keys first appear (one partition).
  template <class K, class B, class R, class C>
  auto foldby(K key, B binop, R initial, C combine) const {
    using Key_ = std::decay_t<std::invoke_result_t<const K&, const T&>>;
    using Entry = std::pair<Key_, R>;
    auto chunk = [key, binop, initial](const Value& v, std::int64_t) {
      detail::OrderedMap<Key_, R> acc;
      for (const T& x : detail::items<T>(v)) {
        R& a = acc.at(key(x), [&] { return initial; });
        a = binop(std::move(a), x);
      }
      return Value::of(std::move(acc.entries));
    };
    auto merge = [combine, initial](std::vector<Value> parts, bool) {
      detail::OrderedMap<Key_, R> acc;
      for (const Value& p : parts) {
        for (const Entry& e : detail::items<Entry>(p)) {
          R& a = acc.at(e.first, [&] { return initial; });
          a = combine(std::move(a), e.second);
        }
      }
      return Value::of(std::move(acc.entries));
    };
    return Bag<Entry>(detail::reduce(e_, "foldby", detail::op_token("foldby", typeid(B), token()), std::move(chunk),
                                     std::move(merge)));
  }

  /// The items grouped by key(item) into (key, items) pairs through the
  /// shuffle: every item goes straight to the rank of its key's part. Groups
  /// are in `npartitions` partitions (this bag's count when 0), each group's
  /// items in bag order, groups in the order their keys first appear.
  template <class F>
  auto groupby(F key, std::int64_t npartitions = 0) const {
    using K = std::decay_t<std::invoke_result_t<const F&, const T&>>;
    using Group = std::pair<K, std::vector<T>>;
    const std::int64_t parts = npartitions > 0 ? npartitions : std::max<std::int64_t>(1, this->npartitions());
    auto split = [key](const Value& v, std::int64_t n) {
      std::vector<std::vector<T>> by_part(static_cast<std::size_t>(n));
      for (const T& x : detail::items<T>(v)) by_part[detail::spread_hash(key(x)) % static_cast<std::uint64_t>(n)].push_back(x);
      Shards shards;
      for (std::size_t p = 0; p < by_part.size(); ++p) {
        if (!by_part[p].empty()) shards.add(static_cast<std::int64_t>(p), Value::of(std::move(by_part[p])));
      }
      return shards;
    };
    auto finish = [key](std::vector<Value> pieces, std::int64_t) {
      detail::OrderedMap<K, std::vector<T>> groups;
      for (const Value& piece : pieces) {
        for (const T& x : detail::items<T>(piece)) groups.at(key(x), [] { return std::vector<T>{}; }).push_back(x);
      }
      return Value::of(std::move(groups.entries));
    };
    return Bag<Group>(detail::exchange(e_, "groupby", detail::op_token("groupby", typeid(F), token()), parts,
                                       std::move(split), std::move(finish)));
  }

  /// (item of this bag, item of `other`) pairs, partition by partition; the
  /// bags must have the same partitions and lengths.
  template <class U>
  Bag<std::pair<T, U>> zip(const Bag<U>& other) const {
    auto f = [](const Value& a, const Value& b, std::int64_t i) {
      const auto& xs = detail::items<T>(a);
      const auto& ys = detail::items<U>(b);
      if (xs.size() != ys.size()) {
        throw InputError("zip: partition " + std::to_string(i) + " has " + std::to_string(xs.size()) + " and " +
                         std::to_string(ys.size()) + " items");
      }
      std::vector<std::pair<T, U>> out;
      out.reserve(xs.size());
      for (std::size_t k = 0; k < xs.size(); ++k) out.emplace_back(xs[k], ys[k]);
      return Value::of(std::move(out));
    };
    return Bag<std::pair<T, U>>(detail::zip(e_, other.expr(), detail::op_token("zip", typeid(U), token()), std::move(f)));
  }

  /// The first n items, from the first `npartitions` partitions (-1: all,
  /// as many as needed), as Dask's take; fewer when those hold fewer.
  std::vector<T> take(std::int64_t n, std::int64_t npartitions = 1, const ComputeOptions& options = {}) const {
    const std::int64_t upto = npartitions < 0 ? this->npartitions() : std::min(npartitions, this->npartitions());
    std::vector<T> out;
    for (std::int64_t i = 0; i < upto && static_cast<std::int64_t>(out.size()) < n; ++i) {
      const Key k = output_keys()[static_cast<std::size_t>(i)];
      const auto values = tessera::compute(graph(), std::span<const Key>(&k, 1), options);
      const auto& xs = detail::items<T>(values.at(0));
      for (const T& x : xs) {
        if (static_cast<std::int64_t>(out.size()) == n) break;
        out.push_back(x);
      }
    }
    return out;
  }

  std::vector<T> compute(const ComputeOptions& options = {}) const { return tessera::compute(*this, options); }
  Bag persist(const ComputeOptions& options = {}) const { return tessera::persist(*this, options); }

  // The Collection protocol (collection.hpp).
  const Graph& graph() const { return detail::graph_of(*e_); }
  std::span<const Key> output_keys() const { return detail::output_keys_of(*e_); }
  std::vector<T> finalize(std::vector<Value> partitions) const {
    std::vector<T> out;
    for (const Value& p : partitions) {
      const auto& xs = detail::items<T>(p);
      out.insert(out.end(), xs.begin(), xs.end());
    }
    return out;
  }
  Bag from_persisted(std::vector<PersistedResult> partitions) const {
    return Bag(detail::from_persisted(*e_, std::move(partitions)));
  }

  const detail::BagPtr& expr() const { return e_; }
  std::uint64_t token() const { return detail::token_of(*e_); }

 private:
  template <class F, class Fn>
  detail::BagPtr derive(std::string_view op, Fn fn) const {
    return detail::derive(e_, op, detail::op_token(op, typeid(F), token()), std::move(fn));
  }

  Bag<Json> pluck_field_of(const std::string& key, Value default_value) const {
    if (auto reader = detail::field_reader(*e_)) return Bag<Json>(reader(key, default_value));
    return map([key, default_value](const Json& record) {
      if (const Json* v = record.find(key)) return *v;
      if (default_value) return default_value.get<Json>();
      return record[key];  // the error: names the key and the record's keys
    });
  }

  struct Moments {
    double n = 0, mean = 0, m2 = 0;
  };
  // Count, mean and M2 of the items, merged as Chan et al. (exact enough far
  // from zero), then `f` of them.
  template <class F>
  Item<double> from_moments(std::string_view op, F f) const {
    auto chunk = [](const Value& v, std::int64_t) {
      Moments m;
      for (const T& x : detail::items<T>(v)) {
        m.n += 1;
        const double d = static_cast<double>(x) - m.mean;
        m.mean += d / m.n;
        m.m2 += d * (static_cast<double>(x) - m.mean);
      }
      return Value::of(std::vector<Moments>{m});
    };
    auto combine = [f](std::vector<Value> parts, bool final) {
      Moments a;
      for (const Value& p : parts) {
        const Moments& b = detail::items<Moments>(p).at(0);
        if (b.n == 0) continue;
        const double total = a.n + b.n, delta = b.mean - a.mean;
        a.mean += delta * b.n / total;
        a.m2 += b.m2 + delta * delta * a.n * b.n / total;
        a.n = total;
      }
      return final ? Value::of(std::vector<double>{f(a)}) : Value::of(std::vector<Moments>{a});
    };
    return Item<double>(detail::reduce(e_, op, detail::op_token(op, typeid(F), token()), std::move(chunk),
                                       std::move(combine)));
  }

  Item<T> extreme(bool largest) const {
    auto pick = [largest](const std::vector<T>& xs, const char* what) {
      if (xs.empty()) throw InputError(std::string(what) + " of an empty bag");
      return largest ? *std::max_element(xs.begin(), xs.end()) : *std::min_element(xs.begin(), xs.end());
    };
    const char* what = largest ? "max" : "min";
    auto chunk = [pick, what](const Value& v, std::int64_t) {
      const auto& xs = detail::items<T>(v);
      return Value::of(xs.empty() ? std::vector<T>{} : std::vector<T>{pick(xs, what)});
    };
    auto combine = [pick, what](std::vector<Value> parts, bool final) {
      std::vector<T> all;
      for (const Value& p : parts) all.insert(all.end(), detail::items<T>(p).begin(), detail::items<T>(p).end());
      if (all.empty() && !final) return Value::of(std::vector<T>{});
      return Value::of(std::vector<T>{pick(all, what)});
    };
    return Item<T>(detail::reduce(e_, what, detail::op_token(what, typeid(T), token()), std::move(chunk),
                                  std::move(combine)));
  }

  detail::BagPtr e_;
};

/// A bag over `items` cut into `npartitions` partitions of nearly equal
/// length (every rank passes the same items: the driver is replicated).
template <class T>
Bag<T> from_sequence(std::vector<T> items, std::int64_t npartitions = 1) {
  if (npartitions < 1) throw InputError("from_sequence: npartitions must be at least 1");
  auto shared = std::make_shared<const std::vector<T>>(std::move(items));
  const auto n = static_cast<std::int64_t>(shared->size());
  TokenHasher h;
  h.add(std::string_view("from-sequence"));
  h.add(n);
  h.add(npartitions);
  if constexpr (requires(TokenHasher& t, const T& x) { t.add(x); }) {
    for (const T& x : *shared) h.add(x);
  } else {
    h.mix(detail::op_token("from-sequence", typeid(T), 0));
  }
  return Bag<T>(detail::from_reader(npartitions, "from-sequence", h.value(), [shared, n, npartitions](std::int64_t i) {
    const auto begin = shared->begin() + i * n / npartitions, end = shared->begin() + (i + 1) * n / npartitions;
    return Value::of(std::vector<T>(begin, end));
  }));
}

/// JSON records as a DataFrame (Dask's to_dataframe): one partition per
/// partition, columns `columns` (name, type: int64, float64, bool or
/// string), or, when none are given, the keys of the first record typed by
/// its values (which computes the first partition that has one). A missing
/// key or a JSON null is a null; nested values become their JSON text.
dataframe::DataFrame to_dataframe(const Bag<Json>& records,
                                  const std::vector<std::pair<std::string, ColumnType>>& columns = {});

/// A bag whose partitions are the values of `parts` (Dask's from_delayed):
/// each a Delayed std::vector<T>, computed where the scheduler places it.
template <class T>
Bag<T> from_delayed(const std::vector<Delayed<std::vector<T>>>& parts) {
  std::vector<tessera::detail::DelayedNodePtr> nodes;
  TokenHasher h;
  h.add(std::string_view("from-delayed"));
  for (const auto& p : parts) {
    nodes.push_back(p.node());
    h.add(p.key().str());
  }
  std::vector<NodeId> ids;
  auto graph = std::make_shared<const Graph>(tessera::detail::delayed_graph(nodes, ids));
  return Bag<T>(detail::from_graph(std::move(graph), std::move(ids), h.value()));
}

}  // namespace tessera::bag
