// The DataFrame on small tables with hand-computed answers (pandas' rules:
// aggregations skip nulls, groups sorted by key, null keys dropped); the
// pandas oracle on CSV files is tests/oracle/dataframe_oracle.py.
#include <tessera/dataframe.hpp>
#include <tessera/error.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include <cmath>
#include <limits>

namespace {

namespace dd = tessera::dataframe;
using tessera::ColumnBuilder;
using tessera::ColumnType;
using tessera::Table;

// key: b a b null a b ; x: 1 2 3 4 null 6 ; name: "Ab" "ab" "b " "c" "A" null
Table sample() {
  ColumnBuilder key(ColumnType::string), x(ColumnType::float64), n(ColumnType::int64), name(ColumnType::string),
      when(ColumnType::timestamp);
  const char* keys[] = {"b", "a", "b", nullptr, "a", "b"};
  const double xs[] = {1, 2, 3, 4, std::numeric_limits<double>::quiet_NaN(), 6};
  const char* names[] = {"Ab", "ab", "b ", "c", "A", nullptr};
  for (int i = 0; i < 6; ++i) {
    if (keys[i]) key.append(keys[i]);
    else key.append_null();
    if (i == 4) x.append_null();
    else x.append(xs[i]);
    n.append(std::int64_t{10 * i});
    if (names[i]) name.append(names[i]);
    else name.append_null();
    // 2015-01-01 (a Thursday) + i days + i hours
    when.append(std::int64_t{1420070400 + i * 86400 + i * 3600} * 1000000000);
  }
  return Table({"key", "x", "n", "name", "when"}, {key.finish(), x.finish(), n.finish(), name.finish(), when.finish()});
}

TEST(DataFrame, SchemaAndCompute) {
  const auto df = dd::from_table(sample(), 3);
  EXPECT_EQ(df.npartitions(), 3);
  EXPECT_EQ(df.columns(), (std::vector<std::string>{"key", "x", "n", "name", "when"}));
  EXPECT_EQ(df.dtypes()[1].second, ColumnType::float64);
  const Table all = df.compute();
  EXPECT_EQ(all.to_string(), sample().to_string());
  EXPECT_EQ(df.size(), 6);
  EXPECT_EQ(df.head(2).num_rows(), 2);
  EXPECT_EQ(df.head(2).column("n").int64s()[1], 10);
  std::ostringstream repr;
  repr << df[{"key", "x"}];
  EXPECT_THAT(repr.str(), ::testing::StartsWith("tessera.DataFrame<getitem-"));
  EXPECT_THAT(repr.str(), ::testing::EndsWith(", npartitions=3>\nkey  object\nx    float64\n"));
  EXPECT_TRUE(df.divisions().empty());
}

TEST(DataFrame, MapPartitionsAndPersist) {
  const auto df = dd::from_table(sample(), 3);
  const auto doubled = df.map_partitions(
      [](const Table& t) {
        ColumnBuilder b(ColumnType::int64);
        for (std::int64_t r = 0; r < t.num_rows(); ++r) b.append(2 * t.column("n").int64s()[static_cast<std::size_t>(r)]);
        return Table({"n2"}, std::vector<tessera::Column>{b.finish()});
      },
      "double-n");
  EXPECT_EQ(doubled.columns(), std::vector<std::string>{"n2"});
  EXPECT_DOUBLE_EQ(doubled["n2"].sum().compute(), 300);
  const auto kept = df[df["n"] >= 20].persist();
  EXPECT_EQ(kept.npartitions(), 3);
  EXPECT_DOUBLE_EQ(kept["n"].sum().compute(), 140);
  const Table top = df.nlargest(2, "x").compute();
  EXPECT_EQ(top.column("n").int64s()[0], 50);
  EXPECT_EQ(top.column("n").int64s()[1], 30);
  const Table counts = df["key"].value_counts().compute();
  EXPECT_EQ(counts.column("key").string(0), "b");
  EXPECT_EQ(counts.column("count").int64s()[0], 3);
  EXPECT_EQ(df.drop_duplicates({"key"}).compute().num_rows(), 3);  // b, a, and the null key
}

TEST(DataFrame, GroupByAggregations) {
  const auto df = dd::from_table(sample(), 3);
  const Table t = df.groupby("key").agg({{"x", "sum"}, {"x", "mean"}, {"x", "count"}, {"n", "size"}, {"x", "min"},
                                         {"x", "max"}, {"x", "var"}, {"n", "std"}, {"name", "first"}, {"name", "last"},
                                         {"name", "nunique"}})
                      .compute();
  ASSERT_EQ(t.num_rows(), 2);  // the null key dropped
  EXPECT_EQ(t.column("key").string(0), "a");
  EXPECT_EQ(t.column("key").string(1), "b");
  // a: x = 2, null; n = 10, 40; names ab, A
  EXPECT_DOUBLE_EQ(t.column("x_sum").as_double(0), 2);
  EXPECT_DOUBLE_EQ(t.column("x_mean").as_double(0), 2);
  EXPECT_EQ(t.column("x_count").int64s()[0], 1);
  EXPECT_EQ(t.column("n_size").int64s()[0], 2);
  EXPECT_FALSE(t.column("x_var").is_valid(0));  // one value, ddof 1
  EXPECT_DOUBLE_EQ(t.column("n_std").as_double(0), std::sqrt(450.0));
  EXPECT_EQ(t.column("name_first").string(0), "ab");
  EXPECT_EQ(t.column("name_last").string(0), "A");
  EXPECT_EQ(t.column("name_nunique").int64s()[0], 2);
  // b: x = 1, 3, 6; n = 0, 20, 50; names Ab, "b ", null
  EXPECT_DOUBLE_EQ(t.column("x_sum").as_double(1), 10);
  EXPECT_DOUBLE_EQ(t.column("x_mean").as_double(1), 10.0 / 3);
  EXPECT_DOUBLE_EQ(t.column("x_min").as_double(1), 1);
  EXPECT_DOUBLE_EQ(t.column("x_max").as_double(1), 6);
  EXPECT_NEAR(t.column("x_var").as_double(1), 6.333333333333333, 1e-12);
  EXPECT_EQ(t.column("name_last").string(1), "b ");  // the last non-null
  EXPECT_EQ(t.column("name_nunique").int64s()[1], 2);
  const Table sizes = df.groupby("key").size().compute();
  EXPECT_EQ(sizes.column("size").int64s()[1], 3);
  const Table means = df.groupby("key")["n"].mean().compute();
  EXPECT_EQ(means.names(), (std::vector<std::string>{"key", "n"}));
  EXPECT_DOUBLE_EQ(means.column("n").as_double(1), 70.0 / 3);
}

TEST(DataFrame, SeriesReductions) {
  const auto df = dd::from_table(sample(), 4);
  EXPECT_DOUBLE_EQ(df["x"].sum().compute(), 16);
  EXPECT_DOUBLE_EQ(df["x"].mean().compute(), 3.2);
  EXPECT_DOUBLE_EQ(df["x"].count().compute(), 5);
  EXPECT_DOUBLE_EQ(df["n"].max().compute(), 50);
  EXPECT_NEAR(df["x"].std().compute(), std::sqrt(3.7), 1e-12);  // 1 2 3 4 6: var 3.7
  EXPECT_DOUBLE_EQ(df["key"].nunique().compute(), 2);
  EXPECT_EQ(df["name"].min().compute_table().column(0).string(0), "A");
}

TEST(DataFrame, FiltersArithmeticStrings) {
  const auto df = dd::from_table(sample(), 2);
  const Table f = df[df["x"] > 1.5 && df["key"] == "b"].compute();
  ASSERT_EQ(f.num_rows(), 2);  // rows 2 and 5
  EXPECT_EQ(f.column("n").int64s()[0], 20);
  const Table g = df.assign("y", df["x"] * 2 + df["n"]).compute();
  EXPECT_DOUBLE_EQ(g.column("y").as_double(2), 26);
  EXPECT_FALSE(g.column("y").is_valid(4));  // null x
  const Table s = df.assign("low", df["name"].str().lower())
                      .assign("len", df["name"].str().len())
                      .assign("starts", df["name"].str().startswith("A"))
                      .assign("stripped", df["name"].str().strip())
                      .assign("dow", df["when"].dt().dayofweek())
                      .assign("hour", df["when"].dt().hour())
                      .compute();
  EXPECT_EQ(s.column("low").string(0), "ab");
  EXPECT_EQ(s.column("len").int64s()[2], 2);
  EXPECT_EQ(s.column("starts").bools()[4], 1);
  EXPECT_EQ(s.column("stripped").string(2), "b");
  EXPECT_EQ(s.column("dow").int64s()[0], 3);  // Thursday
  EXPECT_EQ(s.column("dow").int64s()[4], 0);  // Monday 2015-01-05
  EXPECT_EQ(s.column("hour").int64s()[5], 5);
  EXPECT_EQ(df.dropna().compute().num_rows(), 3);  // rows 0, 1, 2
  EXPECT_EQ(df["x"].isna().sum().compute(), 1);
  EXPECT_DOUBLE_EQ(df.fillna(0.0)["x"].sum().compute(), 16);
  const Table picked = df[{"n", "key"}].compute();
  EXPECT_EQ(picked.names(), (std::vector<std::string>{"n", "key"}));
}

TEST(DataFrame, SeriesOfAnotherFrameWithTheSameRows) {
  const auto df = dd::from_table(sample(), 2);
  const auto df2 = df.assign("x", df["x"] * 2);
  // n is the same column in both: usable, as pandas would align it.
  EXPECT_EQ(df2[df["n"] > 10].compute().num_rows(), 4);
  EXPECT_DOUBLE_EQ((df2["x"] + df["n"]).sum().compute(), 32 + 110);  // rows with x: 2+0, 4+10, 6+20, 8+30, 12+50
  // x differs between them: an error, not df's x read from df2.
  EXPECT_THROW(df2[df["x"] > 1], tessera::InputError);
  // After a filter the rows differ.
  const auto few = df[df["n"] > 10];
  EXPECT_THROW(few[df["n"] > 20], tessera::InputError);
}

TEST(DataFrame, ErrorsNameWhat) {
  const auto df = dd::from_table(sample(), 2);
  try {
    df["nope"];
    FAIL();
  } catch (const tessera::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no column 'nope'"), std::string::npos);
  }
  EXPECT_THROW(df["name"] + 1, tessera::InputError);
  EXPECT_THROW(df.groupby("key").agg({{"name", "mean"}}), tessera::InputError);
  EXPECT_THROW(df.groupby("key").agg({{"x", "median"}}), tessera::InputError);
  const auto other = dd::from_table(sample(), 3);
  EXPECT_THROW(df[other["x"] > 1], tessera::InputError);
}

}  // namespace

namespace {

// Row counts of each partition of `df`.
std::vector<std::int64_t> partition_rows(const dd::DataFrame& df) {
  const Table sizes = df.map_partitions(
                            [](const Table& t) {
                              ColumnBuilder n(ColumnType::int64);
                              n.append(t.num_rows());
                              return Table({"n"}, {n.finish()});
                            },
                            "rows")
                          .compute();
  const auto n = sizes.column("n").int64s();
  return {n.begin(), n.end()};
}

Table keyed(std::initializer_list<std::int64_t> keys, const char* value_name, double first) {
  ColumnBuilder k(ColumnType::int64), v(ColumnType::float64);
  double x = first;
  for (std::int64_t key : keys) {
    k.append(key);
    v.append(x++);
  }
  return Table({"key", value_name}, {k.finish(), v.finish()});
}

}  // namespace

TEST(DataFrameShuffle, MergeHowsOnHandComputedRows) {
  // left keys 1 1 2 3 (a 0..3), right keys 1 3 3 4 (b 10..13)
  const auto left = dd::from_table(keyed({1, 1, 2, 3}, "a", 0), 2);
  const auto right = dd::from_table(keyed({1, 3, 3, 4}, "b", 10), 2);
  auto rows_of = [](const dd::DataFrame& df) {
    const Table t = df.sort_values({"key", "a", "b"}).compute();
    std::vector<std::string> out;
    for (std::int64_t r = 0; r < t.num_rows(); ++r) {
      out.push_back(t.column("key").format(r) + "," + t.column("a").format(r) + "," + t.column("b").format(r));
    }
    return out;
  };
  for (int broadcast : {0, 1}) {
    dd::MergeOptions o;
    o.on = {"key"};
    o.broadcast = broadcast;
    EXPECT_EQ(rows_of(left.merge(right, o)),
              (std::vector<std::string>{"1,0,10", "1,1,10", "3,3,11", "3,3,12"}));
    o.how = "left";
    EXPECT_EQ(rows_of(left.merge(right, o)),
              (std::vector<std::string>{"1,0,10", "1,1,10", "2,2,NaN", "3,3,11", "3,3,12"}));
  }
  dd::MergeOptions o;
  o.on = {"key"};
  o.how = "outer";
  EXPECT_EQ(rows_of(left.merge(right, o)), (std::vector<std::string>{"1,0,10", "1,1,10", "2,2,NaN",
                                                                     "3,3,11", "3,3,12", "4,NaN,13"}));
  o.how = "right";
  EXPECT_EQ(rows_of(left.merge(right, o)),
            (std::vector<std::string>{"1,0,10", "1,1,10", "3,3,11", "3,3,12", "4,NaN,13"}));
  // Clashing names get suffixes; the shared key appears once.
  const auto both = dd::from_table(keyed({1, 2}, "a", 5), 1);
  EXPECT_EQ(left.merge(both, "key").columns(), (std::vector<std::string>{"key", "a_x", "a_y"}));
  // Keys of two types: an error naming both.
  ColumnBuilder s(ColumnType::string);
  s.append("1");
  const auto text = dd::from_table(Table({"key"}, {s.finish()}), 1);
  EXPECT_THAT([&] { left.merge(text, "key"); },
              testing::ThrowsMessage<tessera::InputError>(testing::HasSubstr("key 'key' is int64 on the left but 'key' is object")));
}

TEST(DataFrameShuffle, MergeOnAUniqueRightKeyByEveryRoute) {
  // left keys 1 1 2 3 5 (a 0..4); right keys 3 1 4, each once (b 10..12): a dimension's ids
  const auto left = dd::from_table(keyed({1, 1, 2, 3, 5}, "a", 0), 3);
  const auto right = dd::from_table(keyed({3, 1, 4}, "b", 10), 2);
  auto rows_of = [](const dd::DataFrame& df) {
    const Table t = df.sort_values({"key", "a"}).compute();  // two names in braces: the initializer_list overload
    std::vector<std::string> out;
    for (std::int64_t r = 0; r < t.num_rows(); ++r) {
      out.push_back(t.column("key").format(r) + "," + t.column("a").format(r) + "," + t.column("b").format(r));
    }
    return out;
  };
  for (int broadcast : {-1, 0, 1}) {
    dd::MergeOptions o;
    o.on = {"key"};
    o.broadcast = broadcast;
    EXPECT_EQ(rows_of(left.merge(right, o)), (std::vector<std::string>{"1,0,11", "1,1,11", "3,3,10"})) << broadcast;
    o.how = "left";
    EXPECT_EQ(rows_of(left.merge(right, o)),
              (std::vector<std::string>{"1,0,11", "1,1,11", "2,2,NaN", "3,3,10", "5,4,NaN"})) << broadcast;
    // Every left row matches: the result keeps the left's rows in order.
    const auto matched = dd::from_table(keyed({4, 1, 3, 3}, "a", 0), 2);
    o.how = "inner";
    const Table t = matched.merge(right, o).compute();
    ASSERT_EQ(t.num_rows(), 4) << broadcast;
    if (broadcast == 1) {  // (-1 shuffles here: 2 partitions against 2)
      EXPECT_EQ(t.column("a").format(0) + t.column("a").format(3), "03");
      EXPECT_EQ(t.column("b").format(0) + " " + t.column("b").format(1) + " " + t.column("b").format(2), "12 11 10");
    }
  }
  // Dense right keys (a direct array) and sparse ones (a hash table), and
  // left keys below, inside (matched or not) and above the right's range;
  // a repeated right key takes the general join.
  for (std::int64_t s : {1, 1000}) {
    const auto r = dd::from_table(keyed({3 * s, 1 * s, 4 * s}, "b", 10), 2);
    const auto l = dd::from_table(keyed({-5, 1 * s, 2 * s, 4 * s, 9 * s}, "a", 0), 3);
    dd::MergeOptions o;
    o.on = {"key"};
    o.broadcast = 1;
    o.how = "left";
    auto k = [](std::int64_t v) { return std::to_string(v); };
    EXPECT_EQ(rows_of(l.merge(r, o)), (std::vector<std::string>{"-5,0,NaN", k(s) + ",1,11", k(2 * s) + ",2,NaN",
                                                                  k(4 * s) + ",3,12", k(9 * s) + ",4,NaN"}))
        << s;
    const auto repeated = dd::from_table(keyed({3 * s, 1 * s, 3 * s}, "b", 10), 2);
    o.how = "inner";
    EXPECT_EQ(rows_of(l.merge(repeated, o)), (std::vector<std::string>{k(s) + ",1,11"})) << s;
  }
  // A null key on either side takes the general join (nulls match nulls, as pandas'): the same rows either way.
  ColumnBuilder k(ColumnType::int64), a(ColumnType::float64);
  for (int i = 0; i < 6; ++i) {
    if (i == 2) k.append_null();
    else k.append(std::int64_t{i % 3});
    a.append(double(i));
  }
  const auto with_null = dd::from_table(Table({"key", "a"}, {k.finish(), a.finish()}), 2);
  ColumnBuilder rk(ColumnType::int64), b(ColumnType::float64);
  rk.append(std::int64_t{0});
  rk.append_null();
  b.append(10.0);
  b.append(11.0);
  const auto right_null = dd::from_table(Table({"key", "b"}, {rk.finish(), b.finish()}), 1);
  dd::MergeOptions shuffled, broadcast;
  shuffled.on = broadcast.on = {"key"};
  shuffled.broadcast = 0;
  broadcast.broadcast = 1;
  EXPECT_EQ(rows_of(with_null.merge(right_null, broadcast)), rows_of(with_null.merge(right_null, shuffled)));
  EXPECT_EQ(rows_of(with_null.merge(right, broadcast)), rows_of(with_null.merge(right, shuffled)));
  EXPECT_EQ(rows_of(with_null.merge(right_null, broadcast)).size(), 3u);  // keys 0, 0 and the null
}

TEST(DataFrameShuffle, MergeBroadcastsAFewPartitionsAgainstMany) {
  ColumnBuilder k(ColumnType::int64), v(ColumnType::float64), rk(ColumnType::int64), rv(ColumnType::float64);
  for (int i = 0; i < 1200; ++i) {
    k.append(std::int64_t{(i * 7) % 100});
    v.append(double(i));
  }
  for (int i = 0; i < 100; ++i) {
    rk.append(std::int64_t{99 - i});
    rv.append(double(i));
  }
  const auto many = dd::from_table(Table({"key", "v"}, {k.finish(), v.finish()}), 12);
  const auto few = dd::from_table(Table({"key", "w"}, {rk.finish(), rv.finish()}), 2);
  // 2 partitions x 2 (one rank counts as two) < 12: the few are broadcast, and
  // each of the many's partitions keeps its rows (a shuffle would cut by hash).
  EXPECT_EQ(partition_rows(many.merge(few, "key")), partition_rows(many));
  dd::MergeOptions shuffled;
  shuffled.on = {"key"};
  shuffled.broadcast = 0;
  EXPECT_NE(partition_rows(many.merge(few, shuffled)), partition_rows(many));
  // Either way, the same rows: w = 99 - key.
  for (const auto& merged : {many.merge(few, "key"), many.merge(few, shuffled)}) {
    const Table t = merged.compute();
    ASSERT_EQ(t.num_rows(), 1200);
    for (std::int64_t r = 0; r < t.num_rows(); ++r) {
      EXPECT_EQ(t.column("w").float64s()[static_cast<std::size_t>(r)], 99.0 - double(t.column("key").int64s()[static_cast<std::size_t>(r)]));
    }
  }
  // Eight partitions against eight: shuffled, as before.
  EXPECT_NE(partition_rows(many.repartition(8).merge(few.repartition(8), "key")), partition_rows(many.repartition(8)));
}

TEST(DataFrameShuffle, PartsAreBalancedAndSkewAndEmptinessWork) {
  ColumnBuilder k(ColumnType::int64), v(ColumnType::float64);
  for (int i = 0; i < 4000; ++i) {
    k.append(std::int64_t{i});
    v.append(1.0);
  }
  const auto df = dd::from_table(Table({"key", "v"}, {k.finish(), v.finish()}), 8);
  // A hash shuffle and a merge spread distinct keys over every part.
  for (const auto& rows : {partition_rows(df.shuffle({"key"}, 8)), partition_rows(df.merge(df, "key"))}) {
    ASSERT_EQ(rows.size(), 8u);
    for (std::int64_t n : rows) {
      EXPECT_GT(n, 300);
      EXPECT_LT(n, 700);
    }
  }
  // One key everywhere: one part holds every row, the others are empty, and sorting still works.
  const auto same = df.assign("key", dd::Literal(std::int64_t{7}));
  const auto sorted = same.sort_values("key", true, 4);
  EXPECT_EQ(sorted.size(), 4000);
  const auto rows = partition_rows(same.shuffle({"key"}, 4));
  EXPECT_EQ(*std::max_element(rows.begin(), rows.end()), 4000);
  // An empty frame shuffles, sorts and merges to empty frames.
  const auto none = df[df["key"] < 0];
  EXPECT_EQ(none.sort_values("key").size(), 0);
  EXPECT_EQ(none.merge(df, "key").size(), 0);
  EXPECT_EQ(none.set_index("key").divisions().size(), 0u);
  // repartition keeps the order.
  const Table back = df.repartition(3).compute();
  EXPECT_EQ(back.column("key").int64s()[3999], 3999);
  EXPECT_EQ(partition_rows(df.repartition(19)).size(), 19u);
}

TEST(DataFrameShuffle, DescribeQuartilesStayCloseBeyondTheExactSample) {
  // 200,000 values 0..199,999 in a scrambled order over 16 partitions: the
  // quartiles are 49,999.75, 99,999.5 and 149,999.25 (pandas' interpolation).
  ColumnBuilder v(ColumnType::int64);
  for (std::int64_t i = 0; i < 200000; ++i) v.append((i * 7919) % 200000);
  const Table d = dd::from_table(Table({"v"}, {v.finish()}), 16).describe().compute();
  ASSERT_EQ(d.num_rows(), 8);
  EXPECT_EQ(d.names(), (std::vector<std::string>{"", "v"}));
  const auto x = d.column("v").float64s();
  EXPECT_EQ(x[0], 200000);                         // count
  EXPECT_DOUBLE_EQ(x[1], 99999.5);                 // mean
  EXPECT_NEAR(x[2], 57735.17, 0.01);               // std (ddof 1)
  EXPECT_EQ(x[3], 0);                              // min
  EXPECT_NEAR(x[4], 49999.75, 200000.0 / 4096);    // quartiles: within a rank error of 1/4096
  EXPECT_NEAR(x[5], 99999.5, 200000.0 / 4096);
  EXPECT_NEAR(x[6], 149999.25, 200000.0 / 4096);
  EXPECT_EQ(x[7], 199999);                         // max
}
