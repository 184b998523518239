#pragma once
/// Table: one DataFrame partition, columns in Arrow's layout (STYLE.md §8.1).
///
///     tessera::ColumnBuilder ids(tessera::ColumnType::int64), names(tessera::ColumnType::string);
///     ids.append(int64_t{7});  names.append("seven");
///     ids.append_null();       names.append("unknown");
///     tessera::Table t({"id", "name"}, {ids.finish(), names.finish()});
///     std::cout << t;        //    id     name
///                            // 0   7    seven
///                            // 1 NaN  unknown
///     t.column("id").null_count();   // 1
///
/// A Column is a few flat buffers: values (int64, float64, bool as one byte,
/// timestamp as int64 ns since the epoch, categorical as int32 codes into a
/// dictionary of strings), int64 offsets plus one byte buffer for strings,
/// and a validity bitmap (1 = valid, least significant bit first) only when
/// the column has nulls. Columns are immutable once built and shared between
/// tables (selecting columns copies nothing). A Table travels between ranks
/// as its columns' raw buffers.
#include <tessera/buffer.hpp>
#include <tessera/transport.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera {

enum class ColumnType : std::uint8_t { int64, float64, bool_, string, timestamp, categorical };

/// pandas' name of a column type: int64, float64, bool, object, datetime64[ns], category.
const char* type_name(ColumnType type);
/// The type named `name` (pandas' names, and "string", "datetime", "timestamp");
/// InputError naming it otherwise.
ColumnType column_type(std::string_view name);

class Column {
 public:
  Column() = default;
  ColumnType type() const { return type_; }
  std::int64_t size() const { return length_; }
  std::int64_t null_count() const { return null_count_; }
  bool has_nulls() const { return null_count_ > 0; }
  bool is_valid(std::int64_t i) const {
    return null_count_ == 0 || ((validity_.as<std::uint64_t>()[static_cast<std::size_t>(i >> 6)] >> (i & 63)) & 1);
  }
  /// Missing as pandas' isna() sees it: a null, or a float64 NaN.
  bool is_na(std::int64_t i) const {
    return !is_valid(i) || (type_ == ColumnType::float64 && std::isnan(values_.as<double>()[static_cast<std::size_t>(i)]));
  }
  /// The validity bitmap's 64-bit words (empty when the column has no nulls).
  std::span<const std::uint64_t> validity() const {
    return null_count_ == 0 ? std::span<const std::uint64_t>{} : validity_.as<std::uint64_t>();
  }

  /// Values; a null slot holds an unspecified value. int64s(): int64 and timestamp.
  std::span<const std::int64_t> int64s() const { return values_.as<std::int64_t>().first(count()); }
  std::span<const double> float64s() const { return values_.as<double>().first(count()); }
  std::span<const std::uint8_t> bools() const { return values_.as<std::uint8_t>().first(count()); }
  /// Categorical: each row's code into categories().
  std::span<const std::int32_t> codes() const { return values_.as<std::int32_t>().first(count()); }
  const Column& categories() const { return *dictionary_; }
  /// A string, or a categorical's category (empty for a null).
  std::string_view string(std::int64_t i) const;
  /// Strings: length + 1 offsets into string_bytes().
  std::span<const std::int64_t> offsets() const {
    return values_.as<std::int64_t>().first(static_cast<std::size_t>(length_ + 1));
  }
  std::span<const std::byte> string_bytes() const {
    return bytes_.bytes().first(static_cast<std::size_t>(length_ == 0 ? 0 : offsets()[static_cast<std::size_t>(length_)]));
  }

  /// A double of row i of a numeric, bool or timestamp column (NaN for a null).
  double as_double(std::int64_t i) const;
  /// Row i as pandas prints it ("NaN" for a null float, "True", "2015-01-02 03:04:05").
  std::string format(std::int64_t i) const;
  /// Rows [begin, begin + n) as a new column.
  Column slice(std::int64_t begin, std::int64_t n) const;
  /// The rows at `rows`, in that order.
  Column take(std::span<const std::int64_t> rows) const;
  std::size_t nbytes() const;

  /// A categorical column over `codes` (-1: null) and its dictionary.
  static Column categorical(std::span<const std::int32_t> codes, std::shared_ptr<const Column> categories);

 private:
  friend class ColumnBuilder;
  friend struct Transport<Column>;
  std::size_t count() const { return static_cast<std::size_t>(length_); }
  // The bytes in use of each buffer (a builder's buffers may be longer).
  std::span<const std::byte> used_values() const;
  std::span<const std::byte> used_validity() const;
  std::size_t string_bytes_size() const { return type_ == ColumnType::string ? string_bytes().size() : 0; }
  ColumnType type_ = ColumnType::int64;
  std::int64_t length_ = 0, null_count_ = 0;
  Buffer values_, bytes_, validity_;
  std::shared_ptr<const Column> dictionary_;  // categorical only
};

/// Builds a column row by row, into buffers that grow geometrically
/// (Arrow's builders) and become the column's own at finish(), uncopied:
/// reserve() first when the count is known.
class ColumnBuilder {
 public:
  explicit ColumnBuilder(ColumnType type);
  ColumnType type() const { return type_; }
  std::int64_t size() const { return length_; }
  void reserve(std::int64_t rows, std::int64_t string_bytes = 0);
  void append(std::int64_t v) {
    if (type_ == ColumnType::int64 || type_ == ColumnType::timestamp) return put(v);
    append_converted(v);
  }
  void append(double v) {
    if (type_ == ColumnType::float64) return put(v);
    append_converted(v);
  }
  void append(bool v) {
    if (type_ == ColumnType::bool_) return put(static_cast<std::uint8_t>(v));
    append_converted(v);
  }
  /// A string; for a categorical, looked up or added to the dictionary.
  void append(std::string_view v) {
    if (type_ != ColumnType::string) return append_converted(v);
    if (!v.empty()) {  // (memcpy of nothing may still not take a null pointer)
      std::memcpy(bytes_.room(v.size()), v.data(), v.size());
      bytes_.used += v.size();
    }
    put(static_cast<std::int64_t>(bytes_.used));  // the offset of the string's end
  }
  void append(const char* v) { append(std::string_view(v)); }
  void append_null();
  /// Row i of `from` (same type; a categorical's string).
  void append_from(const Column& from, std::int64_t i);
  Column finish();
  /// Back to empty (finish() leaves it so too).
  void clear();

 private:
  // A run of bytes in a Buffer that doubles when full; finish() hands the
  // Buffer to the column (a freed column's pages come back through the
  // Buffer cache instead of being faulted in again).
  struct Bytes {
    Buffer buf;
    std::size_t used = 0;
    std::byte* room(std::size_t n) {
      if (used + n > buf.size()) grow(used + n);
      return buf.data() + used;
    }
    void grow(std::size_t need);
  };
  template <class T>
  void put(T v) {
    std::memcpy(values_.room(sizeof(T)), &v, sizeof(T));
    values_.used += sizeof(T);
    if (!validity_.empty()) mark_valid();
    ++length_;
  }
  void mark_valid() {
    const auto k = static_cast<std::size_t>(length_);
    if ((k >> 6) >= validity_.size()) validity_.push_back(0);
    validity_[k >> 6] |= std::uint64_t{1} << (k & 63);
  }
  void append_converted(std::int64_t v);
  void append_converted(double v);
  void append_converted(bool v);
  void append_converted(std::string_view v);
  void start();
  ColumnType type_;
  std::int64_t length_ = 0, null_count_ = 0;
  Bytes values_, bytes_;  // values (string: length + 1 offsets); string bytes
  std::vector<std::uint64_t> validity_;  // empty until the first null
  struct Dictionary;
  std::shared_ptr<Dictionary> dictionary_;
};

class Table {
 public:
  Table() = default;
  /// InputError when names and columns differ in count, names repeat or lengths differ.
  Table(std::vector<std::string> names, std::vector<Column> columns);
  Table(std::vector<std::string> names, std::vector<std::shared_ptr<const Column>> columns);

  std::int64_t num_rows() const { return rows_; }
  std::size_t num_columns() const { return columns_.size(); }
  const std::vector<std::string>& names() const { return names_; }
  const Column& column(std::size_t i) const { return *columns_[i]; }
  /// InputError naming the column and the table's columns when there is none.
  const Column& column(std::string_view name) const;
  const std::shared_ptr<const Column>& column_ptr(std::size_t i) const { return columns_[i]; }
  /// The index of column `name`, or -1.
  int find(std::string_view name) const;

  Table select(std::span<const std::string> names) const;
  Table slice(std::int64_t begin, std::int64_t n) const;
  Table take(std::span<const std::int64_t> rows) const;
  /// The rows of `tables` one after another (same columns and types).
  static Table concat(std::span<const Table> tables);
  std::size_t nbytes() const;

  /// Printed like pandas: a header of names, the index, aligned columns, and
  /// the first and last `max_rows / 2` rows around "..." when longer.
  void print(std::ostream& out, std::int64_t max_rows = 60) const;
  /// Rows as their printed text (for tests and small results).
  std::string to_string(std::int64_t max_rows = 60) const;

 private:
  std::vector<std::string> names_;
  std::vector<std::shared_ptr<const Column>> columns_;
  std::int64_t rows_ = 0;
};

std::ostream& operator<<(std::ostream& out, const Table& table);

template <>
struct Transport<Column> {
  static void encode(const Column& c, ByteWriter& out);
  static Column decode(ByteReader& in);
};

template <>
struct Transport<Table> {
  static void encode(const Table& t, ByteWriter& out);
  static Table decode(ByteReader& in);
};

}  // namespace tessera
