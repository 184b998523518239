// Columns and tables: building with nulls, slicing, taking, concatenating,
// travelling as bytes, and printing like pandas (hand-computed expectations).
#include <tessera/table.hpp>
#include <tessera/error.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace {

using tessera::Column;
using tessera::ColumnBuilder;
using tessera::ColumnType;
using tessera::Table;

Table sample() {
  ColumnBuilder id(ColumnType::int64), x(ColumnType::float64), name(ColumnType::string), flag(ColumnType::bool_),
      when(ColumnType::timestamp), cat(ColumnType::categorical);
  for (int i = 0; i < 70; ++i) {
    id.append(std::int64_t{i});
    if (i % 7 == 3) x.append_null();
    else x.append(i * 0.5);
    if (i == 5) name.append_null();
    else name.append(std::string("n").append(std::to_string(i)));
    flag.append(i % 2 == 0);
    when.append(std::int64_t{1420070400} * 1000000000 + std::int64_t{i} * 86400 * 1000000000);  // 2015-01-01 + i days
    cat.append(i % 3 == 0 ? "a" : "b");
  }
  return Table({"id", "x", "name", "flag", "when", "cat"},
               {id.finish(), x.finish(), name.finish(), flag.finish(), when.finish(), cat.finish()});
}

TEST(Table, BuildsColumnsWithNulls) {
  const Table t = sample();
  EXPECT_EQ(t.num_rows(), 70);
  EXPECT_EQ(t.column("x").null_count(), 10);  // i = 3, 10, ..., 66
  EXPECT_FALSE(t.column("x").is_valid(3));
  EXPECT_TRUE(std::isnan(t.column("x").as_double(10)));
  EXPECT_DOUBLE_EQ(t.column("x").as_double(4), 2.0);
  EXPECT_EQ(t.column("name").null_count(), 1);
  EXPECT_EQ(t.column("name").string(6), "n6");
  EXPECT_EQ(t.column("name").string(5), "");
  EXPECT_EQ(t.column("cat").string(3), "a");
  EXPECT_EQ(t.column("cat").categories().size(), 2);
  EXPECT_EQ(t.column("when").format(1), "2015-01-02 00:00:00");
  EXPECT_EQ(t.column("flag").format(1), "False");
  EXPECT_THROW(t.column("nope"), tessera::InputError);
}

TEST(Table, SliceTakeConcat) {
  const Table t = sample();
  const Table s = t.slice(2, 5);  // rows 2..6
  EXPECT_EQ(s.num_rows(), 5);
  EXPECT_EQ(s.column("id").int64s()[0], 2);
  EXPECT_EQ(s.column("x").null_count(), 1);  // row 3
  EXPECT_FALSE(s.column("x").is_valid(1));
  EXPECT_EQ(s.column("name").null_count(), 1);  // row 5
  const std::vector<std::int64_t> rows{10, 0, 69};
  const Table k = t.take(rows);
  EXPECT_EQ(k.column("id").int64s()[2], 69);
  EXPECT_FALSE(k.column("x").is_valid(0));
  EXPECT_EQ(k.column("name").string(2), "n69");
  const std::vector<Table> parts{t.slice(0, 30), t.slice(30, 40)};
  const Table c = Table::concat(parts);
  EXPECT_EQ(c.num_rows(), 70);
  EXPECT_EQ(c.column("x").null_count(), 10);
  EXPECT_EQ(c.column("name").string(69), "n69");
  EXPECT_EQ(c.column("cat").string(30), "a");
}

TEST(Table, TravelsAsBytes) {
  const Table t = sample();
  std::vector<std::byte> bytes;
  tessera::ByteWriter w(bytes);
  w.put(t);
  tessera::ByteReader r(bytes);
  const Table back = r.get<Table>();
  EXPECT_EQ(back.to_string(100), t.to_string(100));
  EXPECT_EQ(back.column("x").null_count(), 10);
}

TEST(Table, PrintsLikePandas) {
  ColumnBuilder a(ColumnType::int64), b(ColumnType::float64), s(ColumnType::string);
  a.append(std::int64_t{1});
  a.append(std::int64_t{20});
  b.append(1.5);
  b.append_null();
  s.append("x");
  s.append("hello");
  const Table t({"a", "b", "s"}, {a.finish(), b.finish(), s.finish()});
  // pandas.DataFrame({"a": [1, 20], "b": [1.5, None], "s": ["x", "hello"]}) prints:
  EXPECT_EQ(t.to_string(), "    a    b      s\n0   1  1.5      x\n1  20  NaN  hello\n");
  const Table long_table = sample().select(std::vector<std::string>{"id"});
  const std::string text = long_table.to_string(4);
  EXPECT_EQ(text, "    id\n0    0\n1    1\n..  ..\n68  68\n69  69\n\n[70 rows x 1 columns]\n");
}

}  // namespace
