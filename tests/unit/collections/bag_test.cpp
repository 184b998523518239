// The Bag on small sequences with hand-computed answers (the oracle against
// Python on JSON-lines files comes with read_text and read_json).
#include <tessera/bag.hpp>
#include <tessera/error.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

namespace {

namespace db = tessera::bag;
using Pair = std::pair<std::string, std::int64_t>;

std::vector<std::int64_t> numbers(std::int64_t n) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
  return v;
}

TEST(Bag, MapFilterFlattenKeepOrderAcrossPartitions) {
  const auto b = db::from_sequence(numbers(10), 3);
  EXPECT_EQ(b.npartitions(), 3);
  const std::int64_t offset = 100;  // a capture
  EXPECT_EQ(b.map([offset](std::int64_t x) { return x * x + offset; }).filter([](std::int64_t x) { return x % 2 == 0; }).compute(),
            (std::vector<std::int64_t>{100, 104, 116, 136, 164}));
  const auto nested = b.map([](std::int64_t x) { return std::vector<std::int64_t>(static_cast<std::size_t>(x % 3), x); });
  EXPECT_EQ(nested.flatten().compute(), (std::vector<std::int64_t>{1, 2, 2, 4, 5, 5, 7, 8, 8}));
  EXPECT_EQ(b.map_partitions([](const std::vector<std::int64_t>& xs) { return std::vector<std::size_t>{xs.size()}; }).compute(),
            (std::vector<std::size_t>{3, 3, 4}));
  EXPECT_EQ(b.take(2), (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(b.take(5, -1), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
}

TEST(Bag, ReductionsByHand) {
  const auto b = db::from_sequence(numbers(101), 9);  // 0..100: more than eight partitions, two merge levels
  EXPECT_EQ(b.count().compute(), 101);
  EXPECT_EQ(b.sum().compute(), 5050);
  EXPECT_DOUBLE_EQ(b.mean().compute(), 50.0);
  EXPECT_NEAR(b.var().compute(), 850.0, 1e-9);           // population variance of 0..100
  EXPECT_NEAR(b.std(1).compute(), std::sqrt(858.5), 1e-9);
  EXPECT_EQ(b.min().compute(), 0);
  EXPECT_EQ(b.max().compute(), 100);
  EXPECT_TRUE(b.any().compute());
  EXPECT_FALSE(b.all().compute());  // 0 is false
  EXPECT_EQ(b.fold([](std::int64_t acc, std::int64_t x) { return acc + 2 * x; },
                   [](std::int64_t a, std::int64_t c) { return a + c; }, std::int64_t{0})
                .compute(),
            10100);
  const auto empty = db::from_sequence(std::vector<std::int64_t>{}, 2);
  EXPECT_EQ(empty.count().compute(), 0);
  EXPECT_TRUE(std::isnan(empty.mean().compute()));
  EXPECT_THAT([&] { empty.max().compute(); }, testing::Throws<tessera::Error>());
}

TEST(Bag, FrequenciesTopkDistinctFoldbyGroupby) {
  const std::vector<std::string> words{"b", "a", "c", "a", "b", "a", "d"};
  const auto b = db::from_sequence(words, 3);
  EXPECT_EQ(b.frequencies().compute(), (std::vector<Pair>{{"b", 2}, {"a", 3}, {"c", 1}, {"d", 1}}));
  EXPECT_EQ(b.frequencies().topk(2, [](const Pair& p) { return p.second; }).compute(),
            (std::vector<Pair>{{"a", 3}, {"b", 2}}));
  EXPECT_EQ(b.distinct().compute(), (std::vector<std::string>{"b", "a", "c", "d"}));
  EXPECT_EQ(b.topk(3).compute(), (std::vector<std::string>{"d", "c", "b"}));
  const auto lengths = db::from_sequence(numbers(20), 4).foldby(
      [](std::int64_t x) { return x % 3; }, [](std::int64_t acc, std::int64_t x) { return acc + x; }, std::int64_t{0},
      [](std::int64_t a, std::int64_t c) { return a + c; });
  EXPECT_EQ(lengths.compute(), (std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 63}, {1, 70}, {2, 57}}));
  // groupby through the shuffle: every group whole, its items in bag order.
  const auto groups = db::from_sequence(numbers(30), 5).groupby([](std::int64_t x) { return x % 4; }, 3).compute();
  std::map<std::int64_t, std::vector<std::int64_t>> by_key(groups.begin(), groups.end());
  ASSERT_EQ(by_key.size(), 4u);
  for (std::int64_t k = 0; k < 4; ++k) {
    std::vector<std::int64_t> want;
    for (std::int64_t x = k; x < 30; x += 4) want.push_back(x);
    EXPECT_EQ(by_key[k], want) << "key " << k;
  }
  EXPECT_EQ(groups.size(), 4u);  // no key in two groups
}

TEST(Bag, ZipAndPersist) {
  const auto a = db::from_sequence(numbers(6), 2);
  const auto b = a.map([](std::int64_t x) { return std::to_string(x); });
  const auto z = a.zip(b).compute();
  ASSERT_EQ(z.size(), 6u);
  EXPECT_EQ(z[4], (std::pair<std::int64_t, std::string>{4, "4"}));
  EXPECT_THAT([&] { a.zip(db::from_sequence(numbers(6), 3)); },
              testing::ThrowsMessage<tessera::InputError>(testing::HasSubstr("2 and 3 partitions")));
  const auto kept = a.map([](std::int64_t x) { return x * 10; }).persist();
  EXPECT_EQ(kept.npartitions(), 2);
  EXPECT_EQ(kept.sum().compute(), 150);
  EXPECT_EQ(kept.compute(), (std::vector<std::int64_t>{0, 10, 20, 30, 40, 50}));
}

TEST(Bag, PluckJsonRecords) {
  std::vector<tessera::Json> records;
  for (const char* line : {R"({"name": "Ann", "age": 31, "tags": ["a", "b"]})", R"({"name": "Bob", "tags": []})",
                           R"({"name": "Ann", "age": 5, "tags": ["c"]})"}) {
    records.push_back(tessera::Json::parse(line));
  }
  const auto b = db::from_sequence(records, 2);
  const auto names = b.pluck("name").map([](const tessera::Json& j) { return std::string(j.as_string()); });
  EXPECT_EQ(names.frequencies().compute(), (std::vector<Pair>{{"Ann", 2}, {"Bob", 1}}));
  EXPECT_EQ(b.pluck("age", tessera::Json(-1)).map([](const tessera::Json& j) { return j.as_int64(); }).compute(),
            (std::vector<std::int64_t>{31, -1, 5}));
  EXPECT_THAT([&] { b.pluck("age").compute(); }, testing::ThrowsMessage<tessera::Error>(testing::HasSubstr("age")));
  EXPECT_EQ(b.pluck("tags").map([](const tessera::Json& j) { return static_cast<std::int64_t>(j.size()); }).sum().compute(), 3);
  const auto pairs = b.pluck(std::vector<std::string>{"name", "tags"}).compute();
  EXPECT_EQ(pairs[2][1].dump(), R"(["c"])");
  EXPECT_EQ(b.pluck("name").frequencies().compute().front().second, 2);  // Json items hash and compare
}

TEST(Bag, JsonRecordsToADataFrame) {
  std::vector<tessera::Json> records;
  for (const char* line : {R"({"name": "Ann", "age": 31, "score": 1.5, "ok": true})", R"({"name": "Bob", "age": null})",
                           R"({"name": "Cy", "age": 7, "score": 2, "ok": false, "extra": [1]})"}) {
    records.push_back(tessera::Json::parse(line));
  }
  const auto df = db::to_dataframe(db::from_sequence(records, 2));
  EXPECT_EQ(df.columns(), (std::vector<std::string>{"name", "age", "score", "ok"}));
  const tessera::Table t = df.compute();
  ASSERT_EQ(t.num_rows(), 3);
  EXPECT_EQ(t.column("age").type(), tessera::ColumnType::int64);
  EXPECT_EQ(t.column("age").null_count(), 1);
  EXPECT_EQ(t.column("score").float64s()[2], 2.0);
  EXPECT_EQ(t.column("ok").null_count(), 1);
  EXPECT_EQ(df["age"].sum().compute(), 38);
  const auto typed = db::to_dataframe(db::from_sequence(records, 1), {{"name", tessera::ColumnType::string}, {"extra", tessera::ColumnType::string}});
  EXPECT_EQ(typed.compute().column("extra").string(2), "[1]");
}

TEST(Bag, FromDelayedPartitions) {
  auto make = tessera::delayed([](std::int64_t from, std::int64_t n) { return std::vector<std::int64_t>(static_cast<std::size_t>(n), from); }, "make");
  std::vector<tessera::Delayed<std::vector<std::int64_t>>> parts{make(1, 2), make(5, 3), make(9, 0)};
  const auto b = db::from_delayed(parts);
  EXPECT_EQ(b.npartitions(), 3);
  EXPECT_EQ(b.compute(), (std::vector<std::int64_t>{1, 1, 5, 5, 5}));
  EXPECT_EQ(b.map([](std::int64_t x) { return x * 2; }).sum().compute(), 34);
}

}  // namespace
