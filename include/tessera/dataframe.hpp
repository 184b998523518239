#pragma once
/// DataFrame: partitioned tables with pandas' semantics, like Dask DataFrame.
/// The seed example (Dask's `dd.read_csv('2015-*-*.csv').groupby('user_id').value.mean()`):
///
///     #include <tessera/dataframe.hpp>
///     #include <tessera/io/csv.hpp>
///     namespace dd = tessera::dataframe;
///
///     auto df = dd::read_csv("2015-*-*.csv");
///     tessera::Table means = df.groupby("user_id")["value"].mean().compute();  // the same on every rank
///     if (runtime.rank() == 0) std::cout << means;   //    user_id     value
///                                                    // 0        1  0.503...
///
/// A DataFrame is lazy: each operation adds to a graph of one task per
/// partition, and partitions live on the ranks that computed them. A chain
/// of per-partition operations (selection, filters, arithmetic, assign) runs
/// as one task per partition together with what consumes it (a CSV block is
/// read, filtered and aggregated in one task). Aggregations skip nulls and
/// NaN, as pandas does; `count` counts non-null values, `size` rows.
///
///     auto big = df[df["value"] > 0.5 && df["name"].str().startswith("A")];
///     auto stats = big.groupby({"user_id", "name"}).agg({{"value", "mean"}, {"value", "max"}}).compute();
///     double total = df["value"].sum().compute();
///     std::int64_t rows = df.size();                  // pandas' len(df)
#include <tessera/collection.hpp>
#include <tessera/compute.hpp>
#include <tessera/graph.hpp>
#include <tessera/table.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace tessera::dataframe {

namespace detail {
struct FrameExpr;
struct ColumnExpr;
struct AggregateExpr;
}  // namespace detail

/// A literal operand: a number, a bool or a string.
class Literal {
 public:
  Literal(std::int64_t v) : v_(v) {}
  Literal(int v) : v_(static_cast<std::int64_t>(v)) {}
  Literal(double v) : v_(v) {}
  Literal(bool v) : v_(v) {}
  Literal(std::string v) : v_(std::move(v)) {}
  Literal(const char* v) : v_(std::string(v)) {}
  const std::variant<std::int64_t, double, bool, std::string>& value() const { return v_; }

 private:
  std::variant<std::int64_t, double, bool, std::string> v_;
};

class Series;
class StringMethods;
class DatetimeMethods;
class GroupBy;
class Aggregate;

/// How merge() joins (pandas' merge arguments).
struct MergeOptions {
  std::string how = "inner";                 // inner, left, right or outer
  std::vector<std::string> on;               // key columns of both sides; all common columns when none is given
  std::vector<std::string> left_on, right_on;
  std::pair<std::string, std::string> suffixes{"_x", "_y"};
  /// Broadcast a side whole to every partition of the other instead of
  /// shuffling both (only a side whose unmatched rows the join drops):
  /// -1 when that side is one partition, or (the right side, one int64 key)
  /// at most 8 partitions and fewer than the left's divided by the ranks (at
  /// least 2); 1 always (the side with fewer partitions); 0 never. A broadcast side is gathered into
  /// one partition, and each rank indexes it once for all its joins.
  int broadcast = -1;
  std::int64_t npartitions = 0;  // of a shuffled result; 0: the larger side's
};

class DataFrame {
 public:
  explicit DataFrame(std::shared_ptr<const detail::FrameExpr> expr) : expr_(std::move(expr)) {}

  std::int64_t npartitions() const;
  /// The index's boundaries between partitions after set_index (Dask's
  /// divisions: npartitions + 1 values, the first the smallest key and the
  /// last the largest); empty when unknown.
  std::vector<Literal> divisions() const;
  /// The column set_index made the index ("" when none). Tessera tables keep
  /// the index as their first column.
  const std::string& index() const;
  std::vector<std::string> columns() const;
  /// (name, type) per column, pandas' df.dtypes.
  std::vector<std::pair<std::string, ColumnType>> dtypes() const;

  Series operator[](const std::string& column) const;
  Series operator[](const char* column) const;
  DataFrame operator[](const std::vector<std::string>& columns) const;
  DataFrame operator[](std::initializer_list<std::string> columns) const {
    return (*this)[std::vector<std::string>(columns)];
  }
  /// The rows where `mask` (a bool Series of this frame) is true.
  DataFrame operator[](const Series& mask) const;
  /// A new or replaced column.
  DataFrame assign(const std::string& name, const Series& values) const;
  DataFrame assign(const std::string& name, const Literal& value) const;
  DataFrame astype(const std::map<std::string, ColumnType>& types) const;
  /// Rows without a null in `subset` (all columns when empty).
  DataFrame dropna(const std::vector<std::string>& subset = {}) const;
  /// Nulls of every column the literal's kind fits replaced by it.
  DataFrame fillna(const Literal& value) const;
  /// `f` on each partition; `name` tells different functions apart in the
  /// graph's keys (every rank must pass the same). The columns it returns
  /// are found by running it on an empty partition.
  DataFrame map_partitions(std::function<Table(const Table&)> f, const std::string& name) const;

  /// Rows with the first occurrence of each distinct `subset` (all columns
  /// when empty). With split_out 1, one partition in row order; with more,
  /// that many partitions through the shuffle (rows in order within each).
  DataFrame drop_duplicates(const std::vector<std::string>& subset = {}, std::int64_t split_out = 1) const;
  /// The n rows with the largest (smallest) values of `column`, in that
  /// order, ties in row order, nulls left out (pandas' keep="first"); one partition.
  DataFrame nlargest(std::int64_t n, const std::string& column) const;
  DataFrame nsmallest(std::int64_t n, const std::string& column) const;

  /// pandas' merge: rows of this frame (left) and `right` with equal keys.
  /// Null keys match each other, as in pandas. A shared key column appears
  /// once; other clashing names get the suffixes. Where a side has no row,
  /// its columns are null (int64 columns stay int64, with nulls; pandas turns
  /// them to float64). Row order is by partition, not pandas' order.
  DataFrame merge(const DataFrame& right, const MergeOptions& options = {}) const;
  DataFrame merge(const DataFrame& right, const std::string& on, const std::string& how = "inner") const;

  /// Sorted by `by` (stable, nulls last) across partitions: a sample of the
  /// keys sets the partitions' boundaries (computed now, as Dask does), so
  /// partitions come out balanced; partition i's rows sort before i+1's.
  DataFrame sort_values(const std::vector<std::string>& by, const std::vector<bool>& ascending = {},
                        std::int64_t npartitions = 0) const;
  DataFrame sort_values(const std::string& by, bool ascending = true, std::int64_t npartitions = 0) const;
  /// sort_values({"a", "b"}, {true, false}): without it two names in braces
  /// would also read as a std::string's pair of iterators (ambiguous).
  DataFrame sort_values(std::initializer_list<std::string> by, std::initializer_list<bool> ascending = {},
                        std::int64_t npartitions = 0) const {
    return sort_values(std::vector<std::string>(by), std::vector<bool>(ascending), npartitions);
  }
  /// Sorted by `column`, which becomes the index (moved first) with known divisions().
  DataFrame set_index(const std::string& column, std::int64_t npartitions = 0) const;
  /// Rows with equal `on` values brought into one partition (Dask's shuffle).
  DataFrame shuffle(const std::vector<std::string>& on, std::int64_t npartitions = 0) const;
  /// The same rows in order, in `npartitions` partitions: neighbours joined,
  /// or each partition cut into equal pieces (no shuffle).
  DataFrame repartition(std::int64_t npartitions) const;

  /// pandas' describe(): count, mean, std, min, 25%, 50%, 75%, max (rows,
  /// named in a first column "") of every int64 and float64 column, nulls
  /// skipped. Quartiles are exact up to 16,384 values a column and within
  /// about 1/16,384 of their rank beyond, in bounded memory (one partition).
  DataFrame describe() const;

  GroupBy groupby(const std::string& by) const;
  GroupBy groupby(std::vector<std::string> by) const;
  GroupBy groupby(std::initializer_list<std::string> by) const;

  /// The first n rows, computing only the partitions they need.
  Table head(std::int64_t n = 5, const ComputeOptions& options = {}) const;
  /// The number of rows (pandas' len(df)): computes the frame's row counts.
  std::int64_t size(const ComputeOptions& options = {}) const;

  Table compute(const ComputeOptions& options = {}) const { return tessera::compute(*this, options); }
  DataFrame persist(const ComputeOptions& options = {}) const { return tessera::persist(*this, options); }

  // The Collection protocol (collection.hpp).
  const Graph& graph() const;
  std::span<const Key> output_keys() const;
  Table finalize(std::vector<Value> partitions) const;
  DataFrame from_persisted(std::vector<PersistedResult> partitions) const;

  const std::shared_ptr<const detail::FrameExpr>& expr() const { return expr_; }

 private:
  std::shared_ptr<const detail::FrameExpr> expr_;
};

/// One column of a DataFrame, or an expression over its columns.
class Series {
 public:
  Series(DataFrame frame, std::shared_ptr<const detail::ColumnExpr> expr, std::string name);

  const std::string& name() const { return name_; }
  ColumnType dtype() const;
  Series rename(const std::string& name) const { return Series(frame_, expr_, name); }

  Series isna() const;
  Series notna() const;
  Series fillna(const Literal& value) const;
  Series astype(ColumnType type) const;
  Series abs() const;
  StringMethods str() const;
  DatetimeMethods dt() const;

  Aggregate sum() const;
  Aggregate mean() const;
  Aggregate count() const;
  Aggregate min() const;
  Aggregate max() const;
  Aggregate var(int ddof = 1) const;
  Aggregate std(int ddof = 1) const;
  Aggregate nunique() const;

  /// Each distinct non-null value and how often it occurs: columns NAME and
  /// count, the most frequent first (ties by value); one partition.
  DataFrame value_counts() const;
  /// This Series as a one-column frame.
  DataFrame to_frame() const;
  Table compute(const ComputeOptions& options = {}) const { return to_frame().compute(options); }

  const DataFrame& frame() const { return frame_; }
  const std::shared_ptr<const detail::ColumnExpr>& expr() const { return expr_; }

 private:
  DataFrame frame_;
  std::shared_ptr<const detail::ColumnExpr> expr_;
  std::string name_;
};

/// The .str accessor of a string Series (pandas' Series.str).
class StringMethods {
 public:
  explicit StringMethods(Series s) : s_(std::move(s)) {}
  Series contains(const std::string& text) const;  // a plain substring, not a regex
  Series startswith(const std::string& text) const;
  Series endswith(const std::string& text) const;
  Series lower() const;
  Series upper() const;
  Series strip() const;
  Series len() const;

 private:
  Series s_;
};

/// The .dt accessor of a timestamp Series.
class DatetimeMethods {
 public:
  explicit DatetimeMethods(Series s) : s_(std::move(s)) {}
  Series year() const;
  Series month() const;
  Series day() const;
  Series hour() const;
  Series dayofweek() const;  // Monday 0, as pandas

 private:
  Series s_;
};

// Arithmetic, comparisons and logic, elementwise, between Series of one frame
// or a Series and a literal. Nulls propagate through arithmetic; a comparison
// with a null is false (!= true), as pandas' NaN.
Series operator+(const Series& a, const Series& b);
Series operator-(const Series& a, const Series& b);
Series operator*(const Series& a, const Series& b);
Series operator/(const Series& a, const Series& b);
Series operator==(const Series& a, const Series& b);
Series operator!=(const Series& a, const Series& b);
Series operator<(const Series& a, const Series& b);
Series operator<=(const Series& a, const Series& b);
Series operator>(const Series& a, const Series& b);
Series operator>=(const Series& a, const Series& b);
Series operator&&(const Series& a, const Series& b);  // pandas' &
Series operator||(const Series& a, const Series& b);  // pandas' |
Series operator!(const Series& a);                     // pandas' ~
Series operator-(const Series& a);
#define TESSERA_SERIES_LITERAL_OP(op)                    \
  Series operator op(const Series& a, const Literal& b); \
  Series operator op(const Literal& a, const Series& b);
TESSERA_SERIES_LITERAL_OP(+)
TESSERA_SERIES_LITERAL_OP(-)
TESSERA_SERIES_LITERAL_OP(*)
TESSERA_SERIES_LITERAL_OP(/)
TESSERA_SERIES_LITERAL_OP(==)
TESSERA_SERIES_LITERAL_OP(!=)
TESSERA_SERIES_LITERAL_OP(<)
TESSERA_SERIES_LITERAL_OP(<=)
TESSERA_SERIES_LITERAL_OP(>)
TESSERA_SERIES_LITERAL_OP(>=)
#undef TESSERA_SERIES_LITERAL_OP

/// A lazy aggregation of a Series (Dask's dd.Scalar): a tree reduction over
/// partitions. compute() gives a double (NaN when there is no valid value).
class Aggregate {
 public:
  explicit Aggregate(std::shared_ptr<const detail::AggregateExpr> expr) : expr_(std::move(expr)) {}
  double compute(const ComputeOptions& options = {}) const { return tessera::compute(*this, options); }
  /// The result as a one-row table (keeps int64, string and timestamp results exact).
  Table compute_table(const ComputeOptions& options = {}) const;

  const Graph& graph() const;
  std::span<const Key> output_keys() const;
  double finalize(std::vector<Value> results) const;

 private:
  std::shared_ptr<const detail::AggregateExpr> expr_;
};

/// Aggregation functions: sum, mean, count, size, min, max, var, std, first,
/// last, nunique (var and std with ddof 1, as pandas). With many groups,
/// `split_out(n)` gives n partitions through the shuffle (Dask's split_out):
///     df.groupby("user_id").split_out(8)["value"].mean()
/// each partition then holds its groups sorted by the keys.
class GroupBy {
 public:
  GroupBy(DataFrame frame, std::vector<std::string> by);
  /// One aggregation per (column, function); result columns named
  /// COLUMN_FUNCTION (or COLUMN when each column appears once and `flat`).
  /// The result: the key columns, then those, one row per group (null keys
  /// dropped), sorted by the keys, one partition.
  DataFrame agg(const std::vector<std::pair<std::string, std::string>>& column_function) const;
  DataFrame size() const;
  /// The same grouping, its results in `parts` partitions (Dask's split_out).
  GroupBy split_out(std::int64_t parts) const;

  class Column {
   public:
    Column(const GroupBy& g, std::string column)
        : frame_(g.frame_), by_(g.by_), column_(std::move(column)), split_out_(g.split_out_) {}
    DataFrame sum() const { return one("sum"); }
    DataFrame mean() const { return one("mean"); }
    DataFrame count() const { return one("count"); }
    DataFrame min() const { return one("min"); }
    DataFrame max() const { return one("max"); }
    DataFrame var() const { return one("var"); }
    DataFrame std() const { return one("std"); }
    DataFrame first() const { return one("first"); }
    DataFrame last() const { return one("last"); }
    DataFrame nunique() const { return one("nunique"); }
    DataFrame size() const { return GroupBy(frame_, by_).split_out(split_out_).size(); }
    /// Several functions of this column: COLUMN_FUNCTION columns.
    DataFrame agg(const std::vector<std::string>& functions) const;

   private:
    DataFrame one(const std::string& function) const;
    DataFrame frame_;
    std::vector<std::string> by_;
    std::string column_;
    std::int64_t split_out_ = 1;
  };
  Column operator[](const std::string& column) const { return Column(*this, column); }

  const DataFrame& frame() const { return frame_; }
  const std::vector<std::string>& by() const { return by_; }

 private:
  friend class Column;
  DataFrame aggregate(const std::vector<std::pair<std::string, std::string>>& specs,
                      const std::vector<std::string>& names) const;
  DataFrame frame_;
  std::vector<std::string> by_;
  std::int64_t split_out_ = 1;
};

/// pandas' merge(left, right, ...), as left.merge(right, ...).
DataFrame merge(const DataFrame& left, const DataFrame& right, const MergeOptions& options = {});

/// Like Dask's repr: the columns and their types, and the partitions.
///     tessera.DataFrame<read-csv-3f2a9c1d, npartitions=24>
///     user_id      int64
///     value      float64
std::ostream& operator<<(std::ostream& out, const DataFrame& frame);

/// A frame over tables already in memory, cut into `npartitions` (every
/// rank passes the same table: the driver is replicated).
DataFrame from_table(const Table& table, std::int64_t npartitions = 1);

}  // namespace tessera::dataframe
