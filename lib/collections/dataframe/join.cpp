// merge/join with pandas' semantics: the result's columns (shared keys
// once, other names that clash suffixed), null keys matching each other, and
// a hash join per partition. Distributed: both sides hash-shuffled on the
// keys into the same parts, or, when one side is one partition, that side
// broadcast to every partition of the other (no shuffle at all).
#include "collections/dataframe/frame_expr.hpp"
#include "collections/dataframe/group_index.hpp"

#include <tessera/buffer.hpp>
#include <tessera/error.hpp>
#include <tessera/token.hpp>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <mutex>
#include <optional>

namespace tessera::dataframe::detail {

JoinHow join_how(std::string_view name) {
  if (name == "inner") return JoinHow::inner;
  if (name == "left") return JoinHow::left;
  if (name == "right") return JoinHow::right;
  if (name == "outer") return JoinHow::outer;
  throw InputError(std::string("merge: how='").append(name).append("' is not one of inner, left, right, outer"));
}

namespace {
bool textual(ColumnType t) { return t == ColumnType::string || t == ColumnType::categorical; }
bool contains(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }
}  // namespace

JoinPlan plan_join(const Schema& left, const Schema& right, JoinHow how, const std::vector<std::string>& on,
                   const std::vector<std::string>& left_on, const std::vector<std::string>& right_on,
                   const std::pair<std::string, std::string>& suffixes) {
  std::vector<std::string> lk = left_on, rk = right_on;
  if (!on.empty()) {
    if (!left_on.empty() || !right_on.empty()) throw InputError("merge: give either on or left_on and right_on, not both");
    lk = rk = on;
  } else if (lk.empty() && rk.empty()) {
    for (const auto& n : left.names) {
      if (right.find(n) >= 0) lk.push_back(n);
    }
    if (lk.empty()) throw InputError("merge: the frames have no column in common to merge on; give on=");
    rk = lk;
  }
  if (lk.size() != rk.size() || lk.empty()) {
    throw InputError("merge: left_on has " + std::to_string(lk.size()) + " columns and right_on " +
                     std::to_string(rk.size()) + "; they must be as many, and at least one");
  }
  JoinPlan plan;
  plan.how = how;
  std::vector<std::string> shared;  // keys with one name on both sides: one result column
  for (std::size_t k = 0; k < lk.size(); ++k) {
    const int l = left.require(lk[k], "merge (left key)");
    const int r = right.require(rk[k], "merge (right key)");
    const ColumnType lt = left.types[static_cast<std::size_t>(l)], rt = right.types[static_cast<std::size_t>(r)];
    if (lt != rt && !(textual(lt) && textual(rt))) {
      throw InputError("merge: key '" + lk[k] + "' is " + type_name(lt) + " on the left but '" + rk[k] + "' is " +
                       type_name(rt) + " on the right; make them one type with astype first");
    }
    plan.left_keys.push_back(l);
    plan.right_keys.push_back(r);
    if (lk[k] == rk[k]) shared.push_back(lk[k]);
  }
  auto clashes = [&](const std::string& name, const Schema& other) { return !contains(shared, name) && other.find(name) >= 0; };
  for (std::size_t c = 0; c < left.names.size(); ++c) {
    const std::string& n = left.names[c];
    plan.sources.push_back(static_cast<int>(c));
    plan.out.names.push_back(clashes(n, right) ? n + suffixes.first : n);
    ColumnType t = left.types[c];
    int fill = -1;
    if (contains(shared, n)) {
      fill = right.find(n);
      if (t == ColumnType::categorical && right.types[static_cast<std::size_t>(fill)] != t) t = ColumnType::string;
    }
    plan.coalesce_from_right.push_back(how == JoinHow::right || how == JoinHow::outer ? fill : -1);
    plan.out.types.push_back(t);
  }
  for (std::size_t c = 0; c < right.names.size(); ++c) {
    const std::string& n = right.names[c];
    if (contains(shared, n)) continue;
    plan.sources.push_back(-1 - static_cast<int>(c));
    plan.out.names.push_back(clashes(n, left) ? n + suffixes.second : n);
    plan.out.types.push_back(right.types[c]);
    plan.coalesce_from_right.push_back(-1);
  }
  for (std::size_t i = 0; i < plan.out.names.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (plan.out.names[i] == plan.out.names[j]) {
        throw InputError("merge: the result would have two columns named '" + plan.out.names[i] + "'; change suffixes");
      }
    }
  }
  return plan;
}

namespace {

// Rows of `c` at `rows`, a null where the row is -1.
Column take_or_null(const Column& c, const std::vector<std::int64_t>& rows, bool any_missing, ColumnType type) {
  if (!any_missing && type == c.type()) return c.take(rows);
  ColumnBuilder b(type);
  b.reserve(static_cast<std::int64_t>(rows.size()));
  for (std::int64_t r : rows) {
    if (r < 0 || !c.is_valid(r)) b.append_null();
    else if (type != c.type()) b.append(c.string(r));  // a categorical key shown as strings
    else b.append_from(c, r);
  }
  return b.finish();
}

// A shared key: the left row's value, or the right's where there is no left row.
Column coalesce(const Column& l, const std::vector<std::int64_t>& lrows, const Column& r,
                const std::vector<std::int64_t>& rrows, ColumnType type) {
  ColumnBuilder b(type);
  b.reserve(static_cast<std::int64_t>(lrows.size()));
  for (std::size_t i = 0; i < lrows.size(); ++i) {
    const Column& c = lrows[i] >= 0 ? l : r;
    const std::int64_t row = lrows[i] >= 0 ? lrows[i] : rrows[i];
    if (!c.is_valid(row)) b.append_null();
    else if (textual(type)) b.append(c.string(row));
    else b.append_from(c, row);
  }
  return b.finish();
}

// Groups of equal keys on the build side, and each probe row's group (-1:
// none). One int64 key without nulls (the common case: ids) probes an open
// addressing table of the values themselves; any other key goes through the
// GroupIndex that groupby uses.
// Scratch reused by the thread's next join: on this kind of VM a fresh page
// costs about as much as the join's work on it, and a part's join needs
// tens of MB of row numbers.
struct JoinScratch {
  std::vector<std::int64_t> build_gids, probe_gids, slot, group_key, start, members, next, probe_rows, build_rows;
};
JoinScratch& join_scratch() {
  thread_local JoinScratch scratch;
  return scratch;
}

struct KeyGroups {
  std::vector<std::int64_t>& build_gids;
  std::vector<std::int64_t>& probe_gids;
  std::int64_t groups = 0;
};

bool int_key(const Column& c) {
  return (c.type() == ColumnType::int64 || c.type() == ColumnType::timestamp) && !c.has_nulls();
}

KeyGroups int_key_groups(const Column& build, const Column& probe, JoinScratch& s) {
  KeyGroups k{s.build_gids, s.probe_gids};
  const auto values = build.int64s();
  std::size_t slots = 64;
  while (slots < values.size() * 2) slots *= 2;
  const std::size_t mask = slots - 1;
  std::vector<std::int64_t>& slot = s.slot;
  std::vector<std::int64_t>& group_key = s.group_key;
  slot.assign(slots, -1);
  group_key.clear();
  group_key.reserve(values.size());
  k.build_gids.resize(values.size());
  for (std::size_t r = 0; r < values.size(); ++r) {
    const std::int64_t v = values[r];
    std::size_t at = mix64(static_cast<std::uint64_t>(v)) & mask;
    while (slot[at] >= 0 && group_key[static_cast<std::size_t>(slot[at])] != v) at = (at + 1) & mask;
    if (slot[at] < 0) {
      slot[at] = static_cast<std::int64_t>(group_key.size());
      group_key.push_back(v);
    }
    k.build_gids[r] = slot[at];
  }
  k.groups = static_cast<std::int64_t>(group_key.size());
  const auto probes = probe.int64s();
  k.probe_gids.resize(probes.size());
  for (std::size_t r = 0; r < probes.size(); ++r) {
    const std::int64_t v = probes[r];
    std::size_t at = mix64(static_cast<std::uint64_t>(v)) & mask;
    while (slot[at] >= 0 && group_key[static_cast<std::size_t>(slot[at])] != v) at = (at + 1) & mask;
    k.probe_gids[r] = slot[at];
  }
  return k;
}

KeyGroups general_key_groups(const Table& build, const std::vector<int>& build_keys, const Table& probe,
                             const std::vector<int>& probe_keys, JoinScratch& s) {
  KeyGroups k{s.build_gids, s.probe_gids};
  GroupIndex index(build_keys.size(), /*nulls_are_values=*/true);  // pandas matches null keys to each other
  auto key_columns = [](const Table& t, const std::vector<int>& keys) {
    std::vector<std::shared_ptr<const Column>> cols;
    for (int key : keys) cols.push_back(t.column_ptr(static_cast<std::size_t>(key)));
    return cols;
  };
  k.build_gids.resize(static_cast<std::size_t>(build.num_rows()));
  index.assign(key_columns(build, build_keys), k.build_gids);
  k.groups = index.size();
  k.probe_gids.resize(static_cast<std::size_t>(probe.num_rows()));
  index.assign(key_columns(probe, probe_keys), k.probe_gids);  // keys the build side lacks become new groups, >= groups
  for (std::int64_t& g : k.probe_gids) {
    if (g >= k.groups) g = -1;
  }
  return k;
}

}  // namespace

Table join_tables(const Table& left, const Table& right, const JoinPlan& plan) {
  // Hash the build side (the right, or the left for a right join), probe with the other in its order.
  const bool build_left = plan.how == JoinHow::right;
  const Table& build = build_left ? left : right;
  const Table& probe = build_left ? right : left;
  const auto& build_keys = build_left ? plan.left_keys : plan.right_keys;
  const auto& probe_keys = build_left ? plan.right_keys : plan.left_keys;
  const bool ints = build_keys.size() == 1 && int_key(build.column(static_cast<std::size_t>(build_keys[0]))) &&
                    int_key(probe.column(static_cast<std::size_t>(probe_keys[0])));
  JoinScratch& s = join_scratch();
  KeyGroups k = ints ? int_key_groups(build.column(static_cast<std::size_t>(build_keys[0])),
                                      probe.column(static_cast<std::size_t>(probe_keys[0])), s)
                     : general_key_groups(build, build_keys, probe, probe_keys, s);
  const std::vector<std::int64_t>& build_gids = k.build_gids;
  const std::vector<std::int64_t>& probe_gids = k.probe_gids;
  const std::int64_t groups = k.groups;
  // The build side's rows by group, in row order.
  std::vector<std::int64_t>& start = s.start;
  start.assign(static_cast<std::size_t>(groups) + 1, 0);
  for (std::int64_t g : build_gids) ++start[static_cast<std::size_t>(g) + 1];
  for (std::size_t g = 0; g < static_cast<std::size_t>(groups); ++g) start[g + 1] += start[g];
  std::vector<std::int64_t>& members = s.members;
  members.resize(build_gids.size());
  {
    std::vector<std::int64_t>& next = s.next;
    next.assign(start.begin(), start.end() - 1);
    for (std::size_t r = 0; r < build_gids.size(); ++r) {
      members[static_cast<std::size_t>(next[static_cast<std::size_t>(build_gids[r])]++)] = static_cast<std::int64_t>(r);
    }
  }

  // The pairs of rows, counted first so that they are written in place.
  const bool keep_unmatched_probe = plan.how != JoinHow::inner;  // left (probe left), right (probe right), outer
  std::size_t pairs = 0;
  bool missing = false;
  for (const std::int64_t g : probe_gids) {
    if (g >= 0) {
      pairs += static_cast<std::size_t>(start[static_cast<std::size_t>(g) + 1] - start[static_cast<std::size_t>(g)]);
    } else if (keep_unmatched_probe) {
      ++pairs;
      missing = true;
    }
  }
  std::vector<std::int64_t>& probe_rows = s.probe_rows;
  std::vector<std::int64_t>& build_rows = s.build_rows;
  probe_rows.resize(pairs);
  build_rows.resize(pairs);
  std::vector<std::uint8_t> matched(plan.how == JoinHow::outer ? static_cast<std::size_t>(groups) : 0, 0);
  // Every probe row once, in order (each matched one build row, as a fact
  // table's rows match a dimension's): its columns pass through uncopied.
  bool probe_in_order = pairs == probe_gids.size();
  {
    std::int64_t* pr = probe_rows.data();
    std::int64_t* br = build_rows.data();
    const std::int64_t* st = start.data();
    const std::int64_t* mem = members.data();
    for (std::size_t p = 0; p < probe_gids.size(); ++p) {
      const std::int64_t g = probe_gids[p];
      if (g >= 0) {
        if (st[g + 1] - st[g] != 1) probe_in_order = false;
        for (auto m = st[g]; m < st[g + 1]; ++m) {
          *pr++ = static_cast<std::int64_t>(p);
          *br++ = mem[m];
        }
        if (!matched.empty()) matched[static_cast<std::size_t>(g)] = 1;
      } else if (keep_unmatched_probe) {
        *pr++ = static_cast<std::int64_t>(p);
        *br++ = -1;
      }
    }
  }
  bool probe_missing = false;
  if (plan.how == JoinHow::outer) {  // then the right rows no left row matched, in their order
    for (std::size_t r = 0; r < build_gids.size(); ++r) {
      if (matched[static_cast<std::size_t>(build_gids[r])]) continue;
      probe_rows.push_back(-1);
      build_rows.push_back(static_cast<std::int64_t>(r));
      probe_missing = true;
    }
  }
  if (probe_missing) probe_in_order = false;  // the outer join's build-only rows follow
  const auto& lrows = build_left ? build_rows : probe_rows;
  const auto& rrows = build_left ? probe_rows : build_rows;
  const bool left_missing = build_left ? missing : probe_missing;
  const bool right_missing = build_left ? probe_missing : missing;
  const bool left_in_order = !build_left && probe_in_order, right_in_order = build_left && probe_in_order;
  // A column kept whole is shared with the input (a Column's copy would copy its buffers).
  auto column_of = [](const Table& t, std::size_t i, const std::vector<std::int64_t>& rows, bool missing_rows,
                      ColumnType type, bool in_order) -> std::shared_ptr<const Column> {
    const Column& c = t.column(i);
    if (in_order && !missing_rows && type == c.type()) return t.column_ptr(i);
    return std::make_shared<const Column>(take_or_null(c, rows, missing_rows, type));
  };

  std::vector<std::shared_ptr<const Column>> columns;
  columns.reserve(plan.sources.size());
  for (std::size_t c = 0; c < plan.sources.size(); ++c) {
    const int s = plan.sources[c];
    const ColumnType type = plan.out.types[c];
    if (s >= 0) {
      const int fill = plan.coalesce_from_right[c];
      if (fill >= 0 && left_missing) {
        columns.push_back(std::make_shared<const Column>(coalesce(left.column(static_cast<std::size_t>(s)), lrows,
                                                                  right.column(static_cast<std::size_t>(fill)), rrows, type)));
      } else {
        columns.push_back(column_of(left, static_cast<std::size_t>(s), lrows, left_missing, type, left_in_order));
      }
    } else {
      columns.push_back(column_of(right, static_cast<std::size_t>(-1 - s), rrows, right_missing, type, right_in_order));
    }
  }
  return Table(plan.out.names, std::move(columns));
}

namespace {

// A unique int64 key's rows. Keys within a range at most four times their
// count (ids: 0..n-1, shuffled) are a direct array, the row of `key - base`
// in 4 bytes: W7's million keys take 4 MB instead of a hash table's 32, a
// first run faults in an eighth of it, and a probe is one load. Other keys:
// open addressing over (key, row) pairs, 16 bytes a slot so that a lookup
// touches one cache line, at most half full.
struct UniqueKeyIndex {
  Buffer slots;  // int64 pairs: key, row (row -1: empty); a Buffer, so on huge pages (a million keys: 32 MB)
  std::uint64_t mask = 0;
  const std::int64_t* pairs() const { return reinterpret_cast<const std::int64_t*>(slots.data()); }
  // Dense: rows[key - base] for key - base < span, -1 where no key.
  bool dense = false;
  std::int64_t base = 0;
  std::uint64_t span = 0;
  const std::int32_t* rows() const { return reinterpret_cast<const std::int32_t*>(slots.data()); }
};

// The direct array when the keys are dense enough (and rows fit 4 bytes);
// none when they are not, or (`repeated`) when a key repeats.
std::optional<UniqueKeyIndex> index_dense_keys(std::span<const std::int64_t> keys, bool& repeated) {
  repeated = false;
  if (keys.empty() || keys.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) return std::nullopt;
  const auto [lo, hi] = std::minmax_element(keys.begin(), keys.end());
  const std::uint64_t span = static_cast<std::uint64_t>(*hi) - static_cast<std::uint64_t>(*lo) + 1;
  if (span == 0 || span > 4 * static_cast<std::uint64_t>(keys.size())) return std::nullopt;  // span 0: the whole int64 range
  UniqueKeyIndex index;
  index.dense = true;
  index.base = *lo;
  index.span = span;
  index.slots = Buffer(static_cast<std::size_t>(span) * sizeof(std::int32_t));
  auto* rows = reinterpret_cast<std::int32_t*>(index.slots.data());
  std::fill(rows, rows + span, std::int32_t{-1});
  for (std::size_t r = 0; r < keys.size(); ++r) {
    std::int32_t& slot = rows[static_cast<std::uint64_t>(keys[r]) - static_cast<std::uint64_t>(index.base)];
    if (slot >= 0) {
      repeated = true;
      return std::nullopt;
    }
    slot = static_cast<std::int32_t>(r);
  }
  return index;
}

// Index building and probing go 16 keys at a time: the home slots of keys
// [from, from + 16) into `at`, each prefetched, so that a table out of cache
// has its misses overlap. Returns how many keys that was.
constexpr std::size_t key_batch = 16;
std::size_t locate_batch(std::span<const std::int64_t> keys, std::size_t from, std::uint64_t mask,
                         const std::int64_t* slots, std::uint64_t* at) {
  const std::size_t m = std::min(key_batch, keys.size() - from);
  for (std::size_t j = 0; j < m; ++j) {
    at[j] = mix64(static_cast<std::uint64_t>(keys[from + j])) & mask;
    __builtin_prefetch(slots + 2 * at[j]);
  }
  return m;
}

// None when the key repeats (then the general join handles it).
std::optional<UniqueKeyIndex> index_unique_keys(std::span<const std::int64_t> keys) {
  bool repeated = false;
  if (auto dense = index_dense_keys(keys, repeated)) return dense;
  if (repeated) return std::nullopt;
  std::size_t n = 16;
  while (n < keys.size() * 2) n *= 2;
  UniqueKeyIndex index;
  index.mask = n - 1;
  index.slots = Buffer(2 * n * sizeof(std::int64_t));
  std::int64_t* slots = reinterpret_cast<std::int64_t*>(index.slots.data());
  std::fill(slots, slots + 2 * n, std::int64_t{-1});  // row -1: empty
  std::uint64_t at[key_batch];
  for (std::size_t from = 0; from < keys.size(); from += key_batch) {
    const std::size_t m = locate_batch(keys, from, index.mask, slots, at);
    for (std::size_t j = 0; j < m; ++j) {
      const std::int64_t v = keys[from + j];
      std::uint64_t a = at[j];
      while (slots[2 * a + 1] >= 0) {
        if (slots[2 * a] == v) return std::nullopt;
        a = (a + 1) & index.mask;
      }
      slots[2 * a] = v;
      slots[2 * a + 1] = static_cast<std::int64_t>(from + j);
    }
  }
  return index;
}

// Each probe key's build row (-1: none); true when every key matched. A
// dimension of a million keys is out of cache: the next 16 keys' slots are
// located (and prefetched) while these 16 are resolved.
bool probe_unique_keys(const UniqueKeyIndex& index, std::span<const std::int64_t> keys, std::vector<std::int64_t>& rows) {
  const std::size_t n = keys.size();
  rows.resize(n);
  if (index.dense) {
    const std::int32_t* direct = index.rows();
    const auto base = static_cast<std::uint64_t>(index.base);
    bool all = true;
    for (std::size_t i = 0; i < n; ++i) {
      if (i + 16 < n) {
        const std::uint64_t ahead = static_cast<std::uint64_t>(keys[i + 16]) - base;
        if (ahead < index.span) __builtin_prefetch(direct + ahead);
      }
      const std::uint64_t at = static_cast<std::uint64_t>(keys[i]) - base;
      const std::int64_t row = at < index.span ? direct[at] : -1;
      rows[i] = row;
      all &= row >= 0;
    }
    return all;
  }
  const std::int64_t* slots = index.pairs();
  std::uint64_t at[2][key_batch];
  bool all = true;
  std::size_t m = n ? locate_batch(keys, 0, index.mask, slots, at[0]) : 0;
  for (std::size_t from = 0, b = 0; from < n; from += key_batch, b ^= 1) {
    const std::size_t next = from + key_batch < n ? locate_batch(keys, from + key_batch, index.mask, slots, at[b ^ 1]) : 0;
    for (std::size_t j = 0; j < m; ++j) {
      const std::int64_t v = keys[from + j];
      std::uint64_t a = at[b][j];
      std::int64_t row;
      while ((row = slots[2 * a + 1]) >= 0 && slots[2 * a] != v) a = (a + 1) & index.mask;
      rows[from + j] = row;
      all &= row >= 0;
    }
    m = next;
  }
  return all;
}

// An inner or left join of `left` on the right's unique int64 key.
Table join_unique_right(const Table& left, const Table& right, const UniqueKeyIndex& index, const JoinPlan& plan) {
  JoinScratch& s = join_scratch();
  std::vector<std::int64_t>& rows = s.build_rows;
  const bool all = probe_unique_keys(index, left.column(static_cast<std::size_t>(plan.left_keys[0])).int64s(), rows);
  const bool drop = plan.how == JoinHow::inner && !all;  // the left rows that matched, then
  std::vector<std::int64_t>& kept = s.probe_rows;
  if (drop) {
    kept.clear();
    std::size_t out = 0;
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (rows[r] < 0) continue;
      kept.push_back(static_cast<std::int64_t>(r));
      rows[out++] = rows[r];
    }
    rows.resize(out);
  }
  const bool missing = plan.how == JoinHow::left && !all;
  std::vector<std::shared_ptr<const Column>> columns;
  columns.reserve(plan.sources.size());
  for (std::size_t c = 0; c < plan.sources.size(); ++c) {
    const int source = plan.sources[c];
    const ColumnType type = plan.out.types[c];
    if (source >= 0 && !drop) {
      columns.push_back(left.column_ptr(static_cast<std::size_t>(source)));  // every left row, in order: shared
    } else if (source >= 0) {
      columns.push_back(std::make_shared<const Column>(take_or_null(left.column(static_cast<std::size_t>(source)), kept, false, type)));
    } else {
      columns.push_back(std::make_shared<const Column>(
          take_or_null(right.column(static_cast<std::size_t>(-1 - source)), rows, missing, type)));
    }
  }
  return Table(plan.out.names, std::move(columns));
}

}  // namespace

struct BroadcastIndex {
  std::once_flag once;
  std::optional<UniqueKeyIndex> unique;  // none: not one unique int64 key without nulls
};

BroadcastSide::BroadcastSide(Table t) : table(std::move(t)), index(std::make_shared<BroadcastIndex>()) {}

Table join_broadcast(const Table& large, const BroadcastSide& small, const JoinPlan& plan, bool large_is_left) {
  bool unique_right = large_is_left && (plan.how == JoinHow::inner || plan.how == JoinHow::left) &&
                      plan.left_keys.size() == 1 &&
                      int_key(large.column(static_cast<std::size_t>(plan.left_keys[0])));
  for (std::size_t c = 0; unique_right && c < plan.sources.size(); ++c) {  // a left column shown as another type
    const int source = plan.sources[c];
    if (source >= 0 && large.column(static_cast<std::size_t>(source)).type() != plan.out.types[c]) unique_right = false;
  }
  if (unique_right) {
    std::call_once(small.index->once, [&] {
      const Column& key = small.table.column(static_cast<std::size_t>(plan.right_keys[0]));
      if (int_key(key)) small.index->unique = index_unique_keys(key.int64s());
    });
    if (small.index->unique) return join_unique_right(large, small.table, *small.index->unique, plan);
  }
  return large_is_left ? join_tables(large, small.table, plan) : join_tables(small.table, large, plan);
}

}  // namespace tessera::dataframe::detail
