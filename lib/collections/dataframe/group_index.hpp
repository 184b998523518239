#pragma once
// Key rows of tables: hashing, equality and order of one column's values, and
// the hash index of distinct key rows that groupby, drop_duplicates, merge
// and the shuffle's hash partitioning share (so that equal keys hash alike
// in every table and on every rank).
#include <tessera/table.hpp>

#include <tessera/token.hpp>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <memory>
#include <numeric>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::dataframe::detail {

// ---- Hashing and comparing key rows ----

inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

inline std::uint64_t value_hash(const Column& c, std::int64_t r) {
  const auto k = static_cast<std::size_t>(r);
  switch (c.type()) {
    case ColumnType::int64: case ColumnType::timestamp: return mix64(static_cast<std::uint64_t>(c.int64s()[k]));
    case ColumnType::float64: {
      double v = c.float64s()[k];
      if (v == 0) v = 0;  // -0.0 and 0.0 are one key
      return mix64(std::bit_cast<std::uint64_t>(v));
    }
    case ColumnType::bool_: return mix64(c.bools()[k] + 1);
    case ColumnType::string: case ColumnType::categorical: {
      const std::string_view s = c.string(r);
      return hash_bytes(std::as_bytes(std::span(s.data(), s.size())));
    }
  }
  return 0;
}

inline bool values_equal(const Column& a, std::int64_t i, const Column& b, std::int64_t j) {
  const auto x = static_cast<std::size_t>(i), y = static_cast<std::size_t>(j);
  switch (a.type()) {
    case ColumnType::int64: case ColumnType::timestamp: return a.int64s()[x] == b.int64s()[y];
    case ColumnType::float64: return a.float64s()[x] == b.float64s()[y];
    case ColumnType::bool_: return a.bools()[x] == b.bools()[y];
    default: return a.string(i) == b.string(j);
  }
}

inline int compare_values(const Column& a, std::int64_t i, const Column& b, std::int64_t j) {
  const auto x = static_cast<std::size_t>(i), y = static_cast<std::size_t>(j);
  switch (a.type()) {
    case ColumnType::int64: case ColumnType::timestamp: {
      const auto p = a.int64s()[x], q = b.int64s()[y];
      return p < q ? -1 : p > q;
    }
    case ColumnType::float64: {
      const auto p = a.float64s()[x], q = b.float64s()[y];
      return p < q ? -1 : p > q;
    }
    case ColumnType::bool_: return static_cast<int>(a.bools()[x]) - static_cast<int>(b.bools()[y]);
    default: {
      const int c = a.string(i).compare(b.string(j));
      return c < 0 ? -1 : c > 0;
    }
  }
}

// Groups of key rows from several tables: open addressing over row hashes;
// each group remembers the (table, row) it was first seen at.
class GroupIndex {
 public:
  /// `nulls_are_values`: a null key is a key like any other, equal to other
  /// nulls (drop_duplicates); otherwise its rows belong to no group (groupby).
  explicit GroupIndex(std::size_t nkeys, bool nulls_are_values = false)
      : nkeys_(nkeys), nulls_are_values_(nulls_are_values) {
    if (nkeys_ == 0) reps_.push_back({-1, 0});  // no keys: one group, always
  }
  std::int64_t size() const { return static_cast<std::int64_t>(reps_.size()); }

  /// Group ids of `keys`' rows (-1 for a row with a null key).
  void assign(std::vector<std::shared_ptr<const Column>> keys, std::vector<std::int64_t>& gids) {
    const std::int64_t rows = keys.empty() ? static_cast<std::int64_t>(gids.size()) : keys[0]->size();
    gids.resize(static_cast<std::size_t>(rows));
    if (nkeys_ == 0) {
      std::fill(gids.begin(), gids.end(), 0);
      return;
    }
    const auto source = static_cast<std::int32_t>(sources_.size());
    sources_.push_back(std::move(keys));
    const auto& cols = sources_.back();
    if (nkeys_ == 1 && is_integer_key(*cols[0]) && !cols[0]->has_nulls() && !nulls_are_values_) {
      // One integer key without nulls (user_id): hash and probe in one loop.
      const auto values = cols[0]->int64s();
      for (std::int64_t r = 0; r < rows; ++r) {
        const std::int64_t v = values[static_cast<std::size_t>(r)];
        gids[static_cast<std::size_t>(r)] = find_or_add_int(source, r, v);
      }
      return;
    }
    // Scratch reused by the thread's next partition: fresh pages fault slowly.
    thread_local std::vector<std::uint64_t> hashes;
    thread_local std::vector<std::uint8_t> null_key;
    hashes.assign(static_cast<std::size_t>(rows), kSeed);
    null_key.assign(static_cast<std::size_t>(rows), 0);
    for (const auto& c : cols) {
      for (std::int64_t r = 0; r < rows; ++r) {
        const auto k = static_cast<std::size_t>(r);
        if (c->is_na(r)) {
          if (nulls_are_values_) hashes[k] = mix64(hashes[k] ^ 0x5bd1e995ull);
          else null_key[k] = 1;
          continue;
        }
        hashes[k] = mix64(hashes[k] ^ value_hash(*c, r));  // int64: as find_or_add_int
      }
    }
    for (std::int64_t r = 0; r < rows; ++r) {
      const auto k = static_cast<std::size_t>(r);
      gids[k] = null_key[k] ? -1 : find_or_add(source, r, hashes[k]);
    }
  }

  static bool is_integer_key(const Column& c) {
    return c.type() == ColumnType::int64 || c.type() == ColumnType::timestamp;
  }

  /// The key columns of the groups, in group order.
  std::vector<Column> key_columns(const std::vector<ColumnType>& types) const {
    std::vector<Column> out;
    for (std::size_t c = 0; c < nkeys_; ++c) {
      ColumnBuilder b(types[c] == ColumnType::categorical ? ColumnType::string : types[c]);
      b.reserve(size());
      for (const auto& [source, row] : reps_) b.append_from(*sources_[static_cast<std::size_t>(source)][c], row);
      out.push_back(b.finish());
    }
    return out;
  }

  /// Each group's first row, in the order the groups appeared (one source).
  std::vector<std::int64_t> first_rows() const {
    std::vector<std::int64_t> rows;
    for (const auto& [source, row] : reps_) rows.push_back(row);
    return rows;
  }

  /// Group ids in the order of their keys.
  std::vector<std::int64_t> sorted() const {
    std::vector<std::int64_t> order(static_cast<std::size_t>(size()));
    std::iota(order.begin(), order.end(), 0);
    if (nkeys_ == 0) return order;
    std::sort(order.begin(), order.end(), [&](std::int64_t x, std::int64_t y) {
      const auto& [sx, rx] = reps_[static_cast<std::size_t>(x)];
      const auto& [sy, ry] = reps_[static_cast<std::size_t>(y)];
      for (std::size_t c = 0; c < nkeys_; ++c) {
        const int cmp = compare_values(*sources_[static_cast<std::size_t>(sx)][c], rx,
                                       *sources_[static_cast<std::size_t>(sy)][c], ry);
        if (cmp != 0) return cmp < 0;
      }
      return false;
    });
    return order;
  }

 private:
  static constexpr std::uint64_t kSeed = 0x9e3779b97f4a7c15ull;

  std::int64_t find_or_add(std::int32_t source, std::int64_t row, std::uint64_t hash) {
    if ((reps_.size() + 1) * 2 > slots_.size()) grow();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = hash & mask;; at = (at + 1) & mask) {
      const std::int64_t g = slots_[at];
      if (g < 0) return add(at, source, row, hash);
      if (hashes_[static_cast<std::size_t>(g)] == hash && same_key(g, source, row)) return g;
    }
  }

  // The same hash as the general path's for one int64 key, compared by value.
  std::int64_t find_or_add_int(std::int32_t source, std::int64_t row, std::int64_t v) {
    const std::uint64_t hash = mix64(kSeed ^ mix64(static_cast<std::uint64_t>(v)));
    if ((reps_.size() + 1) * 2 > slots_.size()) grow();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = hash & mask;; at = (at + 1) & mask) {
      const std::int64_t g = slots_[at];
      if (g < 0) return add(at, source, row, hash);
      if (int_keys_[static_cast<std::size_t>(g)] == v) return g;
    }
  }

  std::int64_t add(std::size_t at, std::int32_t source, std::int64_t row, std::uint64_t hash) {
    const auto g = static_cast<std::int64_t>(reps_.size());
    slots_[at] = g;
    reps_.push_back({source, row});
    hashes_.push_back(hash);
    if (nkeys_ == 1) {
      const Column& c = *sources_[static_cast<std::size_t>(source)][0];
      int_keys_.push_back(is_integer_key(c) ? c.int64s()[static_cast<std::size_t>(row)] : 0);
    }
    return g;
  }
  bool same_key(std::int64_t g, std::int32_t source, std::int64_t row) const {
    const auto& [s, r] = reps_[static_cast<std::size_t>(g)];
    for (std::size_t c = 0; c < nkeys_; ++c) {
      const Column& a = *sources_[static_cast<std::size_t>(s)][c];
      const Column& b = *sources_[static_cast<std::size_t>(source)][c];
      if (nulls_are_values_) {
        const bool na = a.is_na(r), nb = b.is_na(row);
        if (na || nb) {
          if (na != nb) return false;
          continue;
        }
      }
      if (!values_equal(a, r, b, row)) return false;
    }
    return true;
  }
  void grow() {
    std::vector<std::int64_t> next(std::max<std::size_t>(64, slots_.size() * 2), -1);
    const std::size_t mask = next.size() - 1;
    for (std::size_t g = 0; g < reps_.size(); ++g) {
      std::size_t at = hashes_[g] & mask;
      while (next[at] >= 0) at = (at + 1) & mask;
      next[at] = static_cast<std::int64_t>(g);
    }
    slots_ = std::move(next);
  }

  std::size_t nkeys_;
  bool nulls_are_values_ = false;
  std::vector<std::vector<std::shared_ptr<const Column>>> sources_;
  std::vector<std::pair<std::int32_t, std::int64_t>> reps_;
  std::vector<std::uint64_t> hashes_;
  std::vector<std::int64_t> int_keys_;  // one integer key: each group's value
  std::vector<std::int64_t> slots_;
};

}  // namespace tessera::dataframe::detail
