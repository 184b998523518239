// lib/io/csv against hand-computed expectations: RFC 4180 quoting, line ends,
// NA tokens, errors naming file and line, options, globs, and the property
// that any blocksize gives exactly the rows of one serial parse.
#include "io/csv/csv_reader.hpp"
#include "io/csv/field_values.hpp"
#include "io/csv/row_scanner.hpp"

#include <tessera/dataframe.hpp>
#include <tessera/error.hpp>
#include <tessera/io/csv.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <bit>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>

namespace {

namespace fs = std::filesystem;
namespace csv = tessera::csv;
using tessera::ColumnType;
using tessera::InputError;
using tessera::Table;
using tessera::dataframe::BadLines;
using tessera::dataframe::CsvOptions;
using ::testing::HasSubstr;

class Csv : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           std::string("tessera_csv_test_").append(std::to_string(::getpid())).append("_")
               .append(::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  // All blocks of `paths`, in order, as one table (the schema from the first file).
  static Table read_all(const std::vector<std::string>& paths, const CsvOptions& options = {}) {
    const csv::Schema schema = csv::infer_schema(paths.front(), options);
    std::vector<Table> parts;
    for (const csv::Block& b : csv::plan_blocks(paths, options)) parts.push_back(csv::read_block(b, schema, options));
    return Table::concat(parts);
  }
  static Table read_one(const std::string& path, const CsvOptions& options = {}) { return read_all({path}, options); }

  static std::string as_csv(const Table& t) {
    std::ostringstream out;
    csv::write_csv(t, out, true);
    return out.str();
  }

  fs::path dir_;
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

TEST_F(Csv, QuotedSeparatorsAndDoubledQuotes) {
  const Table t = read_one(write("q.csv", "a,b\n1,\"x,y\"\n2,\"say \"\"hi\"\"\"\n3,\"\"\n"));
  ASSERT_EQ(t.num_rows(), 3);
  EXPECT_EQ(t.column("a").type(), ColumnType::int64);
  EXPECT_EQ(t.column("b").string(0), "x,y");
  EXPECT_EQ(t.column("b").string(1), "say \"hi\"");
  EXPECT_FALSE(t.column("b").is_valid(2));  // "" is an NA token, quoted or not (pandas)
}

TEST_F(Csv, QuotedNewlinesAndCrLf) {
  const Table t = read_one(write("n.csv", "a,b\r\n1,\"l1\r\nl2\"\r\n2,z\r\n3,\"q\"\r\n"));
  ASSERT_EQ(t.num_rows(), 3);
  EXPECT_EQ(t.column("a").int64s()[2], 3);
  EXPECT_EQ(t.column("b").string(0), "l1\r\nl2");
  EXPECT_EQ(t.column("b").string(1), "z");
  EXPECT_EQ(t.column("b").string(2), "q");
}

TEST_F(Csv, NoTrailingNewlineAndBlankLines) {
  const Table t = read_one(write("b.csv", "\na,b\n\n1,2\n\r\n\n3,4"));
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(t.column("b").int64s()[1], 4);
}

TEST_F(Csv, EmptyFileAndHeaderOnly) {
  const std::string empty = write("empty.csv", "");
  EXPECT_THAT(error_of([&] { csv::infer_schema(empty, {}); }), HasSubstr("empty.csv: no columns to parse"));
  const auto blocks = csv::plan_blocks(std::vector<std::string>{empty}, {});
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].end, 0);
  const std::string header_only = write("h.csv", "a,b\n");
  const Table t = read_all({header_only, empty});  // an empty later file: no rows
  EXPECT_EQ(t.num_rows(), 0);
  EXPECT_EQ(t.names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t.column("a").type(), ColumnType::string);  // pandas: object columns
}

TEST_F(Csv, NaTokensAndTypes) {
  const Table t = read_one(write("na.csv", "i,f,s,b,n,m\n1,NA,x,True,,1\n,2.5,null,false,NaN,2.5\nnan,3,,TRUE,#N/A,-3\n"));
  EXPECT_EQ(t.column("i").type(), ColumnType::int64);
  EXPECT_EQ(t.column("i").null_count(), 2);
  EXPECT_EQ(t.column("f").type(), ColumnType::float64);
  EXPECT_FALSE(t.column("f").is_valid(0));
  EXPECT_EQ(t.column("f").float64s()[2], 3.0);
  EXPECT_EQ(t.column("s").type(), ColumnType::string);
  EXPECT_EQ(t.column("s").null_count(), 2);
  EXPECT_EQ(t.column("b").type(), ColumnType::bool_);
  EXPECT_EQ(t.column("b").bools()[1], 0);
  EXPECT_EQ(t.column("n").type(), ColumnType::float64);  // all NA: float64 like pandas
  EXPECT_EQ(t.column("n").null_count(), 3);
  EXPECT_EQ(t.column("m").type(), ColumnType::float64);  // ints mixed with floats
  EXPECT_EQ(t.column("m").float64s()[2], -3.0);

  CsvOptions only_mine;
  only_mine.keep_default_na = false;
  only_mine.na_values = {"-3", "x"};
  const Table u = read_one(write("na2.csv", "a,s\n1,NA\n-3,x\n"), only_mine);
  EXPECT_EQ(u.column("a").type(), ColumnType::int64);
  EXPECT_FALSE(u.column("a").is_valid(1));  // a numeric na_value
  EXPECT_EQ(u.column("s").string(0), "NA");
  EXPECT_FALSE(u.column("s").is_valid(1));

  // "nan" is a default token that reads as a number (NaN); "inf" one that reads as another.
  CsvOptions inf_too;
  inf_too.na_values = {"inf"};
  const Table v = read_one(write("na3.csv", "f\n1.5\nnan\ninf\n-inf\n"), inf_too);
  EXPECT_EQ(v.column("f").type(), ColumnType::float64);
  EXPECT_TRUE(v.column("f").is_valid(0));
  EXPECT_FALSE(v.column("f").is_valid(1));
  EXPECT_FALSE(v.column("f").is_valid(2));
  EXPECT_TRUE(v.column("f").is_valid(3));
}

TEST_F(Csv, TooFewFieldsPadWithNulls) {
  const Table t = read_one(write("few.csv", "a,b,c\n1,2\n3,4,5\n"));
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_FALSE(t.column("c").is_valid(0));
  EXPECT_EQ(t.column("c").int64s()[1], 5);
}

TEST_F(Csv, ErrorsNameFileLineAndColumn) {
  const std::string open = write("open.csv", "a,b\n1,2\n3,\"abc\n4,5\n");
  EXPECT_THAT(error_of([&] { read_one(open); }), HasSubstr("open.csv, line 3: a quoted field is not closed"));
  const std::string many = write("many.csv", "a,b\n1,2\n3,4,5\n");
  EXPECT_THAT(error_of([&] { read_one(many); }), HasSubstr("many.csv, line 3: expected 2 fields, saw 3"));
  CsvOptions ints;
  ints.dtype["a"] = ColumnType::int64;
  const std::string bad = write("bad.csv", "a,b\n1,\"p\nq\"\nbad,r\n");  // the bad row starts on line 4
  EXPECT_THAT(error_of([&] { read_one(bad, ints); }), HasSubstr("bad.csv, line 4, column 'a': 'bad' is not an int64"));
  // The same in blocks of 5 bytes: lines are counted from the file's start.
  ints.blocksize = 5;
  EXPECT_THAT(error_of([&] { read_one(bad, ints); }), HasSubstr("bad.csv, line 4, column 'a'"));
}

TEST_F(Csv, BadLinesWarnOrSkip) {
  const std::string path = write("bad.csv", "a,b\n1,2\n3,4,5\n6,x\n7,8\n");
  CsvOptions options;
  options.dtype["b"] = ColumnType::int64;
  options.on_bad_lines = BadLines::warn;
  ::testing::internal::CaptureStderr();
  const Table warned = read_one(path, options);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(warned.num_rows(), 2);
  EXPECT_EQ(warned.column("a").int64s()[1], 7);
  EXPECT_THAT(err, HasSubstr(std::string("warning: skipping ").append(path).append(", line 3: expected 2 fields, saw 3")));
  EXPECT_THAT(err, HasSubstr(std::string("warning: skipping ").append(path).append(", line 4, column 'b': 'x' is not an int64")));
  options.on_bad_lines = BadLines::skip;
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(read_one(path, options).num_rows(), 2);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST_F(Csv, UsecolsDtypeParseDates) {
  const std::string path = write("o.csv", "id,when,x,name\n1,2015-01-02 03:04:05,1.5,a\n2,2015-01-03T00:00:00.5,2,b\n");
  CsvOptions options;
  options.usecols = {"name", "id", "when"};
  options.parse_dates = {"when"};
  options.dtype["id"] = ColumnType::float64;
  const Table t = read_one(path, options);
  EXPECT_EQ(t.names(), (std::vector<std::string>{"id", "when", "name"}));  // the file's order
  EXPECT_EQ(t.column("id").type(), ColumnType::float64);
  EXPECT_EQ(t.column("when").type(), ColumnType::timestamp);
  EXPECT_EQ(t.column("when").int64s()[0], std::int64_t{1420167845} * 1000000000);
  EXPECT_EQ(t.column("when").int64s()[1], std::int64_t{1420243200} * 1000000000 + 500000000);
  CsvOptions unknown;
  unknown.usecols = {"nope"};
  EXPECT_THAT(error_of([&] { csv::infer_schema(path, unknown); }), HasSubstr("o.csv: usecols names column 'nope'"));
  unknown = {};
  unknown.parse_dates = {"when2"};
  EXPECT_THAT(error_of([&] { csv::infer_schema(path, unknown); }), HasSubstr("parse_dates names column 'when2'"));
}

TEST_F(Csv, NamesAndNoHeader) {
  const std::string path = write("nh.csv", "1,a\n2,b\n");
  CsvOptions options;
  options.header = false;
  const Table t = read_one(path, options);
  EXPECT_EQ(t.names(), (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(t.num_rows(), 2);
  options.names = {"n", "s"};
  EXPECT_EQ(read_one(path, options).names(), (std::vector<std::string>{"n", "s"}));
  CsvOptions replace;
  replace.names = {"p", "q"};  // with a header: the header's names are replaced
  const Table r = read_one(path, replace);
  EXPECT_EQ(r.names(), (std::vector<std::string>{"p", "q"}));
  EXPECT_EQ(r.num_rows(), 1);
}

TEST_F(Csv, HeaderMismatchInALaterFile) {
  const std::string first = write("1.csv", "a,b\n1,2\n");
  const std::string second = write("2.csv", "a,c\n3,4\n");
  EXPECT_THAT(error_of([&] { read_all({first, second}); }),
              HasSubstr("2.csv, line 1: the header 'a,c' differs from the first file's 'a,b'"));
}

TEST_F(Csv, GlobSortsAndMatchesDirectories) {
  for (const char* name : {"d/b.csv", "d/a.csv", "d/c10.csv", "d/c2.csv", "d/x.txt", "e1/f.csv", "e2/f.csv"}) write(name, "a\n1\n");
  const std::string d = (dir_ / "d").string();
  EXPECT_EQ(csv::expand_glob(d + "/*.csv"),
            (std::vector<std::string>{d + "/a.csv", d + "/b.csv", d + "/c10.csv", d + "/c2.csv"}));
  EXPECT_EQ(csv::expand_glob(d + "/c?.csv"), (std::vector<std::string>{d + "/c2.csv"}));
  EXPECT_EQ(csv::expand_glob(d + "/[ab].csv").size(), 2u);
  EXPECT_EQ(csv::expand_glob((dir_ / "e*" / "f.csv").string()).size(), 2u);
  EXPECT_EQ(csv::expand_glob(d + "/a.csv"), (std::vector<std::string>{d + "/a.csv"}));
  EXPECT_THAT(error_of([&] { csv::expand_glob(d + "/*.tsv"); }), HasSubstr(std::string("no file matches '").append(d).append("/*.tsv'")));
  EXPECT_THAT(error_of([&] { csv::expand_glob(d + "/none.csv"); }), HasSubstr("none.csv"));
}

TEST_F(Csv, AHeaderOnlyFirstFileLeavesTheTypesToTheNextFile) {
  write("g/a.csv", "x,y\n");
  write("g/b.csv", "x,y\n1,2.5\n3,4\n");
  const auto df = tessera::dataframe::read_csv((dir_ / "g" / "*.csv").string());
  EXPECT_EQ(df.dtypes(), (std::vector<std::pair<std::string, ColumnType>>{{"x", ColumnType::int64}, {"y", ColumnType::float64}}));
}

TEST_F(Csv, AMissingPlainPathSaysNoSuchFile) {
  EXPECT_THAT(error_of([&] { csv::expand_glob((dir_ / "nope.csv").string()); }), HasSubstr("nope.csv: no such file"));
}

TEST_F(Csv, GzipIsOneBlock) {
  const std::string path = write("z.csv", "a,b\n1,\"x\ny\"\n2,z\n");
  ASSERT_EQ(std::system(std::string("gzip -f ").append(path).c_str()), 0);
  CsvOptions options;
  options.blocksize = 4;
  const auto blocks = csv::plan_blocks(std::vector<std::string>{path + ".gz"}, options);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_TRUE(blocks[0].compressed);
  const Table t = read_one(path + ".gz", options);
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(t.column("b").string(0), "x\ny");
}

// Two gzip members (as `cat a.gz b.gz` makes) read as one file; a truncated
// one is an error naming the file.
TEST_F(Csv, GzipMembersAreOneFileAndATruncatedOneIsNamed) {
  const std::string a = write("a.csv", "k,v\n1,x\n2,y\n"), b = write("b.csv", "3,z\n");
  ASSERT_EQ(std::system(std::string("gzip -f ").append(a).append(" ").append(b).c_str()), 0);
  std::ifstream ga(a + ".gz", std::ios::binary), gb(b + ".gz", std::ios::binary);
  const std::string both = std::string(std::istreambuf_iterator<char>(ga), {}) + std::string(std::istreambuf_iterator<char>(gb), {});
  const std::string joined = write("joined.csv.gz", both);
  const Table t = read_one(joined);
  ASSERT_EQ(t.num_rows(), 3);
  EXPECT_EQ(t.column("v").string(2), "z");
  const std::string cut = write("cut.csv.gz", both.substr(0, both.size() / 2));
  EXPECT_THAT(error_of([&] { read_one(cut); }), HasSubstr("cut.csv.gz: not a valid gzip file"));
}

TEST_F(Csv, WritesRfc4180ThatReadsBack) {
  tessera::ColumnBuilder i(ColumnType::int64), f(ColumnType::float64), s(ColumnType::string), b(ColumnType::bool_),
      w(ColumnType::timestamp);
  i.append(std::int64_t{-7}); f.append(0.1); s.append("a,\"b\"\nc"); b.append(true);
  w.append(std::int64_t{1420167845} * 1000000000);
  i.append_null(); f.append(2.0); s.append_null(); b.append(false); w.append(std::int64_t{1420243200} * 1000000000 + 500000000);
  const Table t({"i", "f", "s", "b", "w"}, {i.finish(), f.finish(), s.finish(), b.finish(), w.finish()});
  const std::string text = as_csv(t);
  EXPECT_EQ(text, "i,f,s,b,w\n-7,0.1,\"a,\"\"b\"\"\nc\",True,2015-01-02 03:04:05\n,2.0,,False,2015-01-03 00:00:00.500\n");
  CsvOptions options;
  options.parse_dates = {"w"};
  EXPECT_EQ(as_csv(read_one(write("back.csv", text), options)), text);
}

// Random files with quoted separators, quotes, newlines (\n and \r\n, and
// text that looks like rows), blank lines and a final line without newline.
std::string random_csv(std::mt19937& rng, int rows, bool crlf, std::vector<int>& ids) {
  const std::string nl = crlf ? "\r\n" : "\n";
  const std::string texts[] = {"plain", "\"with,comma\"", "\"two\nlines\"", "\"say \"\"hi\"\"\"", "\"a,b\n1,2\"",
                               "\"a,b\n1,2\n3,4\"", "\"crlf\r\ninside\"", "", "\"\"", "\"\n\"", "\",\n,\"", "x\"y"};
  std::string out = std::string("id,text,x").append(nl);
  for (int r = 0; r < rows; ++r) {
    const int id = static_cast<int>(rng() % 1000);
    ids.push_back(id);
    out += std::to_string(id) + "," + texts[rng() % std::size(texts)] + "," + std::to_string(rng() % 100) + ".5";
    if (r + 1 < rows || rng() % 2) out += nl;
    if (rng() % 10 == 0 && r + 1 < rows) out += nl;  // a blank line
  }
  return out;
}

TEST_F(Csv, AnyBlocksizeGivesTheRowsOfOneSerialParse) {
  std::mt19937 rng(11);
  for (int file = 0; file < 6; ++file) {
    std::vector<int> ids;
    const std::string path = write(std::string("r").append(std::to_string(file)).append(".csv"), random_csv(rng, 20 + file * 15, file % 2 == 1, ids));
    CsvOptions whole;
    whole.blocksize = 0;
    const Table serial = read_one(path, whole);
    ASSERT_EQ(serial.num_rows(), static_cast<std::int64_t>(ids.size())) << path;
    for (std::size_t r = 0; r < ids.size(); ++r) ASSERT_EQ(serial.column("id").int64s()[r], ids[r]) << path << " row " << r;
    for (const std::int64_t blocksize : {1, 7, 64, 100}) {
      CsvOptions options;
      options.blocksize = blocksize;
      EXPECT_EQ(as_csv(read_one(path, options)), as_csv(serial)) << path << " in blocks of " << blocksize;
    }
  }
}

TEST_F(Csv, ARowLookalikeInsideAQuotedFieldIsNotARow) {
  // Every block boundary inside the quoted text: each must find the true row start.
  const std::string path = write("look.csv", "a,b\n1,\"a,b\n1,2\n3,4\n5,6\"\n2,x\n");
  for (const std::int64_t blocksize : {1, 2, 3, 5, 7, 11}) {
    CsvOptions options;
    options.blocksize = blocksize;
    const Table t = read_one(path, options);
    ASSERT_EQ(t.num_rows(), 2) << blocksize;
    EXPECT_EQ(t.column("b").string(0), "a,b\n1,2\n3,4\n5,6");
    EXPECT_EQ(t.column("b").string(1), "x");
  }
}

// The scanner classifies 64 bytes at a time from a row's start: every
// separator, newline, quote and "\r\n" must be found wherever it falls
// relative to those chunks. Values are known by construction.
TEST_F(Csv, SeparatorsQuotesAndNewlinesAtEveryChunkOffset) {
  const std::string quoted[] = {"\"q,1\"", "\"say \"\"hi\"\"\"", "\"two\nlines\"", "\"\"\"\""};
  const std::string unquoted[] = {"q,1", "say \"hi\"", "two\nlines", "\""};
  for (const bool crlf : {false, true}) {
    const std::string nl = crlf ? "\r\n" : "\n";
    for (int pad = 0; pad < 140; ++pad) {
      std::string text = std::string("id,text,x").append(nl);
      std::vector<std::string> want;
      for (int r = 0; r < 12; ++r) {
        const int len = (pad + 13 * r) % 150;
        std::string field(static_cast<std::size_t>(len), static_cast<char>('a' + r));
        std::string value = field;
        if (r % 3 == 1) {  // a quoted field after `len` bytes of the previous field
          field = quoted[r % 4];
          value = unquoted[r % 4];
        }
        text.append(std::to_string(r)).append(",").append(field).append(",").append(std::to_string(len)).append(".5");
        want.push_back(value);
        if (r + 1 < 12 || pad % 2 == 0) text += nl;  // odd pads: no newline at EOF
        if (r == 5) text += nl;                      // a blank line
      }
      const std::string path = write(std::string("c").append(std::to_string(pad)).append(crlf ? "crlf.csv" : ".csv"), text);
      for (const std::int64_t blocksize : {0, 64, 100}) {
        CsvOptions options;
        options.blocksize = blocksize;
        const Table t = read_one(path, options);
        ASSERT_EQ(t.num_rows(), 12) << "pad " << pad << " blocksize " << blocksize;
        for (int r = 0; r < 12; ++r) {
          ASSERT_EQ(t.column("id").int64s()[r], r) << "pad " << pad;
          ASSERT_EQ(t.column("text").string(r), want[static_cast<std::size_t>(r)]) << "pad " << pad << " row " << r;
          ASSERT_EQ(t.column("x").float64s()[r], (pad + 13 * r) % 150 + 0.5) << "pad " << pad << " row " << r;
        }
      }
    }
  }
}

// The data's end that is not EOF (a sample's end, a loaded window's end):
// a row crossing it needs more, wherever it falls in a chunk; with more data
// (the same bytes, a later end) the rows from there read whole.
TEST(RowScanner, ARowCrossingTheDataEndNeedsMore) {
  std::string text = "x,y,z\n";
  std::vector<std::size_t> starts;  // of the data rows
  for (int r = 0; r < 30; ++r) {
    starts.push_back(text.size());
    text.append(std::to_string(r)).append(",").append(static_cast<std::size_t>(r * 7 % 23), 'b').append(",c\n");
  }
  auto expect_row = [&](csv::RowScanner& scanner, std::size_t r) {
    ASSERT_EQ(scanner.fields().size(), 3u) << r;
    EXPECT_EQ(scanner.fields()[0], std::to_string(r));
    EXPECT_EQ(scanner.fields()[1], std::string(r * 7 % 23, 'b'));
    EXPECT_EQ(scanner.fields()[2], "c");
  };
  const char* const p = text.data();
  for (std::size_t cut = 6; cut <= text.size(); ++cut) {
    csv::RowScanner scanner(csv::Dialect{});
    const char* next = nullptr;
    ASSERT_EQ(scanner.next(p, p + cut, false, next), csv::RowStatus::row);
    std::size_t r = 0;
    for (; r < starts.size(); ++r) {
      const csv::RowStatus status = scanner.next(p + starts[r], p + cut, false, next);
      if (status == csv::RowStatus::need_more) break;
      ASSERT_EQ(status, csv::RowStatus::row) << cut;
      expect_row(scanner, r);
    }
    std::size_t whole = 0;  // rows whose newline is before the cut
    while (whole < starts.size() && (whole + 1 < starts.size() ? starts[whole + 1] : text.size()) <= cut) ++whole;
    ASSERT_EQ(r, whole) << cut;
    // The same bytes, a later end: the rest read whole.
    for (; r < starts.size(); ++r) {
      ASSERT_EQ(scanner.next(p + starts[r], p + text.size(), false, next), csv::RowStatus::row) << cut;
      expect_row(scanner, r);
      ASSERT_EQ(next, r + 1 < starts.size() ? p + starts[r + 1] : p + text.size());
    }
    // At EOF, a cut row is a row without its newline.
    if (cut > 6) {
      csv::RowScanner at_eof(csv::Dialect{});
      const auto last = static_cast<std::size_t>(std::upper_bound(starts.begin(), starts.end(), cut - 1) - starts.begin()) - 1;
      ASSERT_EQ(at_eof.next(p + starts[last], p + cut, true, next), csv::RowStatus::row);
      ASSERT_EQ(next, p + cut);
    }
  }
}

TEST(RowScanner, AQuoteInTheSameChunkAfterTheRowEndsIsTheNextRows) {
  const std::string text = "1,2\n\"a\nb\",3\n4,5";
  csv::RowScanner scanner(csv::Dialect{});
  const char* p = text.data();
  const char* const limit = p + text.size();
  const char* next = nullptr;
  ASSERT_EQ(scanner.next(p, limit, true, next), csv::RowStatus::row);
  EXPECT_EQ(scanner.fields()[1], "2");
  ASSERT_EQ(scanner.next(next, limit, true, next), csv::RowStatus::row);
  EXPECT_EQ(scanner.fields()[0], "a\nb");
  EXPECT_EQ(scanner.fields()[1], "3");
  ASSERT_EQ(scanner.next(next, limit, true, next), csv::RowStatus::row);
  EXPECT_EQ(scanner.fields()[0], "4");
  EXPECT_EQ(scanner.fields()[1], "5");
  EXPECT_EQ(next, limit);
}

// Block starts in a big file read in blocks: a candidate "inside quotes" is
// ruled out within the row bound (not by reading to EOF), and a row longer
// than the bound is an error.
TEST_F(Csv, BlockStartsInABigFileAndTheRowBound) {
  std::string text = "id,text\n";
  std::int64_t rows = 0;
  while (text.size() < (std::size_t{9} << 20)) {
    text.append(std::to_string(rows)).append(rows % 5000 == 7 ? ",\"two\nlines\"\n" : ",plain text\n");
    ++rows;
  }
  const std::string path = write("big.csv", text);
  CsvOptions whole;
  whole.blocksize = 0;
  const Table serial = read_one(path, whole);
  ASSERT_EQ(serial.num_rows(), rows);
  CsvOptions blocks;
  blocks.blocksize = 1 << 20;
  const Table t = read_one(path, blocks);
  ASSERT_EQ(t.num_rows(), rows);
  for (std::int64_t r = 0; r < rows; ++r) ASSERT_EQ(t.column("id").int64s()[r], r);
  EXPECT_EQ(t.column("text").string(7), "two\nlines");

  const std::string long_row = write("long.csv", std::string("a,b\n1,x\n2,").append(std::size_t{5} << 20, 'y').append("\n3,z\n"));
  EXPECT_THAT(error_of([&] { read_one(long_row, blocks); }), HasSubstr("a row longer than 4 MiB"));
  EXPECT_EQ(read_one(long_row, whole).num_rows(), 3);
}

// The inline number parses give exactly what the general ones (from_chars,
// fast_float) give, on the fields they take and on those they hand over.
TEST(FieldValues, InlineNumberParsesAgreeWithTheGeneralOnes) {
  std::mt19937_64 rng(7);
  std::vector<std::string> fields = {"0", "-0", "-0.0", "007", "1.", ".5", "-", "", "+1", " 1", "1 ", "1e5", "1.5e-3",
                                     "nan", "inf", "9007199254740992", "9007199254740993", "9007199254740993.0",
                                     "999999999999999999", "9223372036854775807", "-9223372036854775808",
                                     "9223372036854775808", "12345678901234567890", "0.1234567890123456789012",
                                     "1.2.3", "1-2", "0x10", "1,5", "78.5327", "-78.5327"};
  for (int i = 0; i < 200000; ++i) {
    std::string f = rng() % 4 == 0 ? "-" : "";
    const int int_digits = static_cast<int>(rng() % 21), fraction_digits = static_cast<int>(rng() % 25) - 1;
    for (int d = 0; d < int_digits; ++d) f.push_back(static_cast<char>('0' + rng() % 10));
    if (fraction_digits >= 0) f.push_back('.');
    for (int d = 0; d < fraction_digits; ++d) f.push_back(static_cast<char>('0' + rng() % 10));
    fields.push_back(f);
  }
  for (const std::string& f : fields) {
    double fast = 0, general = 0;
    const bool fast_ok = csv::parse_float64(f, fast), general_ok = csv::parse_float64_general(f, general);
    ASSERT_EQ(fast_ok, general_ok) << f;
    if (fast_ok) {
      ASSERT_EQ(std::bit_cast<std::uint64_t>(fast), std::bit_cast<std::uint64_t>(general)) << f;
    }
    std::int64_t fast_i = 0, general_i = 0;
    const bool fast_i_ok = csv::parse_int64(f, fast_i), general_i_ok = csv::parse_int64_general(f, general_i);
    ASSERT_EQ(fast_i_ok, general_i_ok) << f;
    if (fast_i_ok) {
      ASSERT_EQ(fast_i, general_i) << f;
    }
  }
}

// Every SIMD version marks the bytes a plain loop would (the scanner runs
// only the best one on this machine).
TEST(RowScanner, EveryChunkMarkerMarksWhatALoopWould) {
  std::mt19937 rng(5);
  const char alphabet[] = {',', '\n', '"', '\r', 'a', '0', ';', '\0', '\x80', '\xff'};
  const std::vector<csv::ChunkMarker> markers = csv::chunk_markers();
  ASSERT_FALSE(markers.empty());
  char chunk[64];
  for (int i = 0; i < 20000; ++i) {
    for (char& c : chunk) c = alphabet[rng() % std::size(alphabet)];
    const char a = alphabet[rng() % 3], b = '\n', q = alphabet[rng() % std::size(alphabet)];
    std::uint64_t want = 0;
    for (int k = 0; k < 64; ++k) want |= static_cast<std::uint64_t>(chunk[k] == a || chunk[k] == b || chunk[k] == q) << k;
    for (const csv::ChunkMarker mark : markers) ASSERT_EQ(mark(chunk, a, b, q), want);
  }
}

}  // namespace
