// The DataFrame across ranks: partitions and aggregation states travel as
// their columns' buffers, and results equal a direct computation over the
// same rows on every rank.
#include <tessera/dataframe.hpp>
#include <tessera/runtime.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

namespace dd = tessera::dataframe;
using tessera::ColumnBuilder;
using tessera::ColumnType;
using tessera::Table;

namespace {

// 20,000 rows: key in [0, 97), value normal with 5% nulls, name "u<key % 13>".
Table rows() {
  std::mt19937_64 gen(42);
  std::uniform_int_distribution<std::int64_t> key(0, 96);
  std::normal_distribution<double> value(10, 3);
  std::uniform_real_distribution<double> u(0, 1);
  ColumnBuilder k(ColumnType::int64), v(ColumnType::float64), n(ColumnType::string);
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t kk = key(gen);
    k.append(kk);
    if (u(gen) < 0.05) v.append_null();
    else v.append(value(gen));
    n.append(std::string("u").append(std::to_string(kk % 13)));
  }
  return Table({"key", "value", "name"}, {k.finish(), v.finish(), n.finish()});
}

TEST(DataFrameMpi, GroupByMeanEqualsADirectComputation) {
  const Table t = rows();
  std::map<std::int64_t, std::pair<double, std::int64_t>> direct;
  for (std::int64_t r = 0; r < t.num_rows(); ++r) {
    auto& [sum, count] = direct[t.column("key").int64s()[static_cast<std::size_t>(r)]];
    if (!t.column("value").is_valid(r)) continue;
    sum += t.column("value").float64s()[static_cast<std::size_t>(r)];
    ++count;
  }
  const auto df = dd::from_table(t, 37);  // many partitions: two levels of merges
  const Table means = df.groupby("key")["value"].mean().compute();
  ASSERT_EQ(means.num_rows(), static_cast<std::int64_t>(direct.size()));
  std::int64_t row = 0;
  for (const auto& [key, sc] : direct) {
    EXPECT_EQ(means.column("key").int64s()[static_cast<std::size_t>(row)], key);
    EXPECT_NEAR(means.column("value").as_double(row), sc.first / static_cast<double>(sc.second), 1e-12);
    ++row;
  }
}

TEST(DataFrameMpi, FilterNuniqueAndPersist) {
  const Table t = rows();
  const auto df = dd::from_table(t, 8);
  const auto big = df[df["value"] > 12.0];
  std::int64_t expect = 0;
  for (std::int64_t r = 0; r < t.num_rows(); ++r) {
    expect += t.column("value").is_valid(r) && t.column("value").float64s()[static_cast<std::size_t>(r)] > 12.0;
  }
  EXPECT_EQ(big.size(), expect);
  EXPECT_EQ(big.compute().num_rows(), expect);
  const auto kept = big.persist();
  EXPECT_EQ(kept.npartitions(), 8);
  EXPECT_EQ(kept.size(), expect);
  const Table per_name = kept.groupby("name")["key"].nunique().compute();
  EXPECT_EQ(per_name.num_rows(), 13);
  std::int64_t total = 0;
  for (auto n : per_name.column("key").int64s()) total += n;
  EXPECT_LE(total, 97);
  EXPECT_DOUBLE_EQ(df["key"].nunique().compute(), 97);
}

}  // namespace

namespace {
// A persisted frame computed as itself (its partitions once shared the frame's
// own keys: "two tasks with the same key"), and used by a later shuffle.
TEST(DataFrameMpi, APersistedFrameComputesAsItself) {
  const Table t = rows();
  const auto df = dd::from_table(t, 6);
  const auto derived = df.assign("twice", df["value"] * 2.0);
  const auto persisted = derived.persist();
  const Table direct = derived.compute(), again = persisted.compute();
  ASSERT_EQ(again.num_rows(), direct.num_rows());
  for (std::int64_t r = 0; r < direct.num_rows(); ++r) {
    ASSERT_EQ(again.column("key").int64s()[static_cast<std::size_t>(r)], direct.column("key").int64s()[static_cast<std::size_t>(r)]);
    ASSERT_EQ(again.column("twice").is_valid(r), direct.column("twice").is_valid(r));
  }
  EXPECT_EQ(persisted.set_index("key").compute().num_rows(), t.num_rows());
}
}  // namespace
