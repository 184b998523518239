// Columns and tables (include/tessera/table.hpp): building, slicing, moving
// between ranks as raw buffers, and printing like pandas.
#include "table/civil_time.hpp"

#include <tessera/error.hpp>
#include <tessera/table.hpp>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <ostream>
#include <sstream>
#include <unordered_map>

namespace tessera {

const char* type_name(ColumnType type) {
  switch (type) {
    case ColumnType::int64: return "int64";
    case ColumnType::float64: return "float64";
    case ColumnType::bool_: return "bool";
    case ColumnType::string: return "object";
    case ColumnType::timestamp: return "datetime64[ns]";
    case ColumnType::categorical: return "category";
  }
  return "?";
}

ColumnType column_type(std::string_view name) {
  if (name == "int64" || name == "int" || name == "Int64") return ColumnType::int64;
  if (name == "float64" || name == "float" || name == "double") return ColumnType::float64;
  if (name == "bool" || name == "boolean") return ColumnType::bool_;
  if (name == "object" || name == "string" || name == "str") return ColumnType::string;
  if (name == "datetime64[ns]" || name == "datetime" || name == "timestamp") return ColumnType::timestamp;
  if (name == "category" || name == "categorical") return ColumnType::categorical;
  throw InputError("unknown column type '" + std::string(name) +
                   "' (int64, float64, bool, string, datetime64[ns], category)");
}

namespace {

std::size_t bitmap_words(std::int64_t rows) { return static_cast<std::size_t>((rows + 63) / 64); }

Buffer to_buffer(const void* data, std::size_t n) {
  Buffer b(n);
  if (n > 0) std::memcpy(b.data(), data, n);
  return b;
}

std::size_t value_width(ColumnType type) {
  switch (type) {
    case ColumnType::int64: case ColumnType::float64: case ColumnType::timestamp: case ColumnType::string: return 8;
    case ColumnType::bool_: return 1;
    case ColumnType::categorical: return 4;
  }
  return 8;
}

}  // namespace

std::string calendar::format_timestamp(std::int64_t ns, bool date_only) {
  std::int64_t days, rest, y;
  calendar::split_day(ns, days, rest);
  unsigned m, d;
  calendar::civil_from_days(days, y, m, d);
  char text[64];
  if (date_only) {
    std::snprintf(text, sizeof text, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
    return text;
  }
  const std::int64_t secs = rest / 1000000000LL, fraction = rest % 1000000000LL;
  int n = std::snprintf(text, sizeof text, "%04lld-%02u-%02u %02lld:%02lld:%02lld", static_cast<long long>(y), m, d,
                        static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                        static_cast<long long>(secs % 60));
  if (fraction != 0) {
    const int digits = fraction % 1000000 == 0 ? 3 : fraction % 1000 == 0 ? 6 : 9;
    const std::int64_t shown = digits == 3 ? fraction / 1000000 : digits == 6 ? fraction / 1000 : fraction;
    std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n), ".%0*lld", digits, static_cast<long long>(shown));
  }
  return text;
}

// ---- Column ----

std::string_view Column::string(std::int64_t i) const {
  if (!is_valid(i)) return {};
  if (type_ == ColumnType::categorical) {
    const std::int32_t code = codes()[static_cast<std::size_t>(i)];
    return code < 0 ? std::string_view{} : dictionary_->string(code);
  }
  const auto off = offsets();
  const auto* base = reinterpret_cast<const char*>(bytes_.data());
  return {base + off[static_cast<std::size_t>(i)],
          static_cast<std::size_t>(off[static_cast<std::size_t>(i) + 1] - off[static_cast<std::size_t>(i)])};
}

double Column::as_double(std::int64_t i) const {
  if (!is_valid(i)) return std::numeric_limits<double>::quiet_NaN();
  const auto k = static_cast<std::size_t>(i);
  switch (type_) {
    case ColumnType::int64: case ColumnType::timestamp: return static_cast<double>(int64s()[k]);
    case ColumnType::float64: return float64s()[k];
    case ColumnType::bool_: return bools()[k] ? 1.0 : 0.0;
    default: throw InputError(std::string("a ") + type_name(type_) + " column has no numeric values");
  }
}

std::string Column::format(std::int64_t i) const {
  const auto k = static_cast<std::size_t>(i);
  if (!is_valid(i)) return type_ == ColumnType::timestamp ? "NaT" : "NaN";
  switch (type_) {
    case ColumnType::int64: return std::to_string(int64s()[k]);
    case ColumnType::float64: {
      char text[32];
      std::snprintf(text, sizeof text, "%.6g", float64s()[k]);
      return text;
    }
    case ColumnType::bool_: return bools()[k] ? "True" : "False";
    case ColumnType::timestamp: return calendar::format_timestamp(int64s()[k]);
    case ColumnType::string: case ColumnType::categorical: return std::string(string(i));
  }
  return "?";
}

Column Column::slice(std::int64_t begin, std::int64_t n) const {
  if (begin < 0 || n < 0 || begin + n > length_) {
    throw InputError("rows [" + std::to_string(begin) + ", " + std::to_string(begin + n) + ") of a column of " +
                     std::to_string(length_));
  }
  std::vector<std::int64_t> rows(static_cast<std::size_t>(n));
  for (std::int64_t r = 0; r < n; ++r) rows[static_cast<std::size_t>(r)] = begin + r;
  return take(rows);
}

Column Column::take(std::span<const std::int64_t> rows) const {
  const auto n = static_cast<std::int64_t>(rows.size());
  Column out;
  out.type_ = type_;
  out.length_ = n;
  out.dictionary_ = dictionary_;
  if (type_ == ColumnType::string) {
    const auto off = offsets();
    std::int64_t total = 0;
    for (std::int64_t r : rows) total += off[static_cast<std::size_t>(r) + 1] - off[static_cast<std::size_t>(r)];
    out.values_ = Buffer(static_cast<std::size_t>(n + 1) * 8);
    out.bytes_ = Buffer(static_cast<std::size_t>(total));
    auto o = out.values_.as<std::int64_t>();
    std::int64_t at = 0;
    o[0] = 0;
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const auto r = static_cast<std::size_t>(rows[k]);
      const std::int64_t len = off[r + 1] - off[r];
      if (len > 0) std::memcpy(out.bytes_.data() + at, bytes_.data() + off[r], static_cast<std::size_t>(len));
      at += len;
      o[k + 1] = at;
    }
  } else {
    const std::size_t w = value_width(type_);
    out.values_ = Buffer(rows.size() * w);
    const std::byte* from = values_.data();
    std::byte* to = out.values_.data();
    // Rows scattered over a column out of cache (a join's gather from a
    // dimension): the loads 16 rows ahead are started early, so misses overlap.
    constexpr std::size_t ahead = 16;
    if (w == 8 && count() * 8 > (std::size_t{1} << 20) && rows.size() > ahead) {
      const std::size_t m = rows.size() - ahead;
      for (std::size_t k = 0; k < m; ++k) {
        __builtin_prefetch(from + static_cast<std::size_t>(rows[k + ahead]) * 8);
        std::memcpy(to + k * 8, from + static_cast<std::size_t>(rows[k]) * 8, 8);
      }
      for (std::size_t k = m; k < rows.size(); ++k) std::memcpy(to + k * 8, from + static_cast<std::size_t>(rows[k]) * 8, 8);
    } else if (w == 8) {
      for (std::size_t k = 0; k < rows.size(); ++k) std::memcpy(to + k * 8, from + static_cast<std::size_t>(rows[k]) * 8, 8);
    } else if (w == 4) {
      for (std::size_t k = 0; k < rows.size(); ++k) std::memcpy(to + k * 4, from + static_cast<std::size_t>(rows[k]) * 4, 4);
    } else {
      for (std::size_t k = 0; k < rows.size(); ++k) to[k] = from[static_cast<std::size_t>(rows[k])];
    }
  }
  if (null_count_ > 0) {
    out.validity_ = Buffer(bitmap_words(n) * 8);
    auto words = out.validity_.as<std::uint64_t>();
    std::fill(words.begin(), words.end(), 0);
    std::int64_t valid = 0;
    for (std::size_t k = 0; k < rows.size(); ++k) {
      if (is_valid(rows[k])) {
        words[k >> 6] |= std::uint64_t{1} << (k & 63);
        ++valid;
      }
    }
    out.null_count_ = n - valid;
  }
  return out;
}

std::span<const std::byte> Column::used_values() const {
  const std::size_t n = type_ == ColumnType::string ? count() + 1 : count();
  return values_.bytes().first(n * value_width(type_));
}

std::span<const std::byte> Column::used_validity() const {
  return null_count_ == 0 ? std::span<const std::byte>{} : validity_.bytes().first(bitmap_words(length_) * 8);
}

std::size_t Column::nbytes() const {
  return used_values().size() + string_bytes_size() + used_validity().size() + (dictionary_ ? dictionary_->nbytes() : 0);
}

Column Column::categorical(std::span<const std::int32_t> codes, std::shared_ptr<const Column> categories) {
  Column out;
  out.type_ = ColumnType::categorical;
  out.length_ = static_cast<std::int64_t>(codes.size());
  out.values_ = to_buffer(codes.data(), codes.size() * 4);
  out.dictionary_ = std::move(categories);
  std::int64_t nulls = 0;
  for (std::int32_t c : codes) nulls += c < 0;
  if (nulls > 0) {
    out.validity_ = Buffer(bitmap_words(out.length_) * 8);
    auto words = out.validity_.as<std::uint64_t>();
    std::fill(words.begin(), words.end(), 0);
    for (std::size_t k = 0; k < codes.size(); ++k) {
      if (codes[k] >= 0) words[k >> 6] |= std::uint64_t{1} << (k & 63);
    }
  }
  out.null_count_ = nulls;
  return out;
}

// ---- ColumnBuilder ----

struct ColumnBuilder::Dictionary {
  std::unordered_map<std::string, std::int32_t> index;
  ColumnBuilder strings{ColumnType::string};
};

void ColumnBuilder::Bytes::grow(std::size_t need) {
  // Powers of two: the next block's columns ask for the sizes this block's
  // freed ones gave back to the Buffer cache, and get their pages warm.
  Buffer next(std::bit_ceil(std::max<std::size_t>({need, 2 * buf.size(), 4096})));
  if (used > 0) std::memcpy(next.data(), buf.data(), used);
  buf = std::move(next);
}

ColumnBuilder::ColumnBuilder(ColumnType type) : type_(type) {
  if (type_ == ColumnType::categorical) dictionary_ = std::make_shared<Dictionary>();
  start();
}

void ColumnBuilder::start() {
  if (type_ != ColumnType::string) return;
  const std::int64_t zero = 0;  // the first string's start
  std::memcpy(values_.room(8), &zero, 8);
  values_.used = 8;
}

void ColumnBuilder::reserve(std::int64_t rows, std::int64_t string_bytes) {
  values_.room(static_cast<std::size_t>(rows) * value_width(type_));
  if (type_ == ColumnType::string) bytes_.room(static_cast<std::size_t>(string_bytes));
}

namespace {
std::string builder_type_error(ColumnType type, const char* given) {
  return std::string("a ") + given + " appended to a " + type_name(type) + " column";
}
}  // namespace

void ColumnBuilder::append_converted(std::int64_t v) {
  if (type_ == ColumnType::float64) return put(static_cast<double>(v));
  throw InputError(builder_type_error(type_, "int64"));
}

void ColumnBuilder::append_converted(double) { throw InputError(builder_type_error(type_, "float64")); }
void ColumnBuilder::append_converted(bool) { throw InputError(builder_type_error(type_, "bool")); }

void ColumnBuilder::append_converted(std::string_view v) {
  if (type_ != ColumnType::categorical) throw InputError(builder_type_error(type_, "string"));
  auto [it, added] = dictionary_->index.try_emplace(std::string(v), static_cast<std::int32_t>(dictionary_->index.size()));
  if (added) dictionary_->strings.append(v);
  put(it->second);
}

void ColumnBuilder::append_null() {
  if (validity_.empty()) {
    // The first null: every row so far was valid.
    validity_.assign(bitmap_words(length_ + 1), 0);
    for (std::size_t r = 0; r < static_cast<std::size_t>(length_); ++r) validity_[r >> 6] |= std::uint64_t{1} << (r & 63);
  }
  const auto k = static_cast<std::size_t>(length_);
  if ((k >> 6) >= validity_.size()) validity_.push_back(0);
  ++null_count_;
  // The slot's value (unspecified for a reader; NaN for floats, as pandas shows them).
  switch (type_) {
    case ColumnType::string: {
      const auto end = static_cast<std::int64_t>(bytes_.used);
      std::memcpy(values_.room(8), &end, 8);
      values_.used += 8;
      break;
    }
    case ColumnType::categorical: {
      const std::int32_t none = -1;
      std::memcpy(values_.room(4), &none, 4);
      values_.used += 4;
      break;
    }
    case ColumnType::float64: {
      const double nan = std::numeric_limits<double>::quiet_NaN();
      std::memcpy(values_.room(8), &nan, 8);
      values_.used += 8;
      break;
    }
    default: {
      const std::size_t w = value_width(type_);
      std::memset(values_.room(w), 0, w);
      values_.used += w;
    }
  }
  ++length_;
}

void ColumnBuilder::append_from(const Column& from, std::int64_t i) {
  if (!from.is_valid(i)) return append_null();
  const auto k = static_cast<std::size_t>(i);
  switch (from.type()) {
    case ColumnType::int64: case ColumnType::timestamp: return append(from.int64s()[k]);
    case ColumnType::float64: return append(from.float64s()[k]);
    case ColumnType::bool_: return append(static_cast<bool>(from.bools()[k]));
    case ColumnType::string: case ColumnType::categorical: return append(from.string(i));
  }
}

Column ColumnBuilder::finish() {
  Column out;
  out.type_ = type_;
  out.length_ = length_;
  out.null_count_ = null_count_;
  if (values_.buf.size() == 0) values_.room(value_width(type_));  // a column always has a values buffer
  out.values_ = std::move(values_.buf);
  out.bytes_ = std::move(bytes_.buf);
  if (null_count_ > 0) {
    validity_.resize(bitmap_words(length_), 0);
    out.validity_ = to_buffer(validity_.data(), validity_.size() * 8);
  }
  if (type_ == ColumnType::categorical) {
    // The dictionary so far, shared by the columns this builder finishes.
    out.dictionary_ = std::make_shared<const Column>(ColumnBuilder(dictionary_->strings).finish());
  }
  clear();
  return out;
}

void ColumnBuilder::clear() {
  length_ = null_count_ = 0;
  values_.used = bytes_.used = 0;
  validity_.clear();
  start();
}

// ---- Table ----

Table::Table(std::vector<std::string> names, std::vector<Column> columns) {
  std::vector<std::shared_ptr<const Column>> shared;
  shared.reserve(columns.size());
  for (Column& c : columns) shared.push_back(std::make_shared<const Column>(std::move(c)));
  *this = Table(std::move(names), std::move(shared));
}

Table::Table(std::vector<std::string> names, std::vector<std::shared_ptr<const Column>> columns)
    : names_(std::move(names)), columns_(std::move(columns)) {
  if (names_.size() != columns_.size()) {
    throw InputError("a table of " + std::to_string(names_.size()) + " names and " + std::to_string(columns_.size()) +
                     " columns");
  }
  for (std::size_t i = 0; i < names_.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (names_[i] == names_[j]) throw InputError("column '" + names_[i] + "' appears twice in a table");
    }
    if (i > 0 && columns_[i]->size() != columns_[0]->size()) {
      throw InputError("column '" + names_[i] + "' has " + std::to_string(columns_[i]->size()) + " rows, '" +
                       names_[0] + "' " + std::to_string(columns_[0]->size()));
    }
  }
  rows_ = columns_.empty() ? 0 : columns_[0]->size();
}

int Table::find(std::string_view name) const {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

const Column& Table::column(std::string_view name) const {
  const int i = find(name);
  if (i < 0) {
    std::string known;
    for (const auto& n : names_) known += (known.empty() ? "" : ", ") + n;
    throw InputError("no column '" + std::string(name) + "' (columns: " + known + ")");
  }
  return *columns_[static_cast<std::size_t>(i)];
}

Table Table::select(std::span<const std::string> names) const {
  std::vector<std::shared_ptr<const Column>> cols;
  for (const auto& n : names) {
    column(n);  // the error naming the columns
    cols.push_back(columns_[static_cast<std::size_t>(find(n))]);
  }
  Table t(std::vector<std::string>(names.begin(), names.end()), std::move(cols));
  t.rows_ = names.empty() ? rows_ : t.rows_;
  return t;
}

Table Table::slice(std::int64_t begin, std::int64_t n) const {
  std::vector<std::shared_ptr<const Column>> cols;
  for (const auto& c : columns_) cols.push_back(std::make_shared<const Column>(c->slice(begin, n)));
  Table t(names_, std::move(cols));
  t.rows_ = n;
  return t;
}

Table Table::take(std::span<const std::int64_t> rows) const {
  std::vector<std::shared_ptr<const Column>> cols;
  for (const auto& c : columns_) cols.push_back(std::make_shared<const Column>(c->take(rows)));
  Table t(names_, std::move(cols));
  t.rows_ = static_cast<std::int64_t>(rows.size());
  return t;
}

Table Table::concat(std::span<const Table> tables) {
  if (tables.empty()) return {};
  if (tables.size() == 1) return tables[0];
  const Table& first = tables[0];
  std::vector<std::shared_ptr<const Column>> cols;
  for (std::size_t c = 0; c < first.num_columns(); ++c) {
    ColumnType type = first.column(c).type();
    std::int64_t rows = 0;
    for (const Table& t : tables) {
      if (t.num_columns() != first.num_columns() || t.names_[c] != first.names_[c]) {
        throw InputError("tables with different columns cannot be concatenated ('" + first.names_[c] + "')");
      }
      rows += t.num_rows();
    }
    ColumnBuilder b(type);
    b.reserve(rows);
    for (const Table& t : tables) {
      const Column& from = t.column(c);
      if (from.type() != type) {
        throw InputError("column '" + first.names_[c] + "' is " + type_name(type) + " in one part and " +
                         type_name(from.type()) + " in another");
      }
      for (std::int64_t r = 0; r < from.size(); ++r) b.append_from(from, r);
    }
    cols.push_back(std::make_shared<const Column>(b.finish()));
  }
  return Table(first.names_, std::move(cols));
}

std::size_t Table::nbytes() const {
  std::size_t n = 0;
  for (const auto& c : columns_) n += c->nbytes();
  return n;
}

namespace {

// A float column's cells as pandas prints them: six decimals, then the
// trailing zeros every value shares trimmed (1.5 and 2.25 give 1.50, 2.25).
std::vector<std::string> float_cells(const Column& c, std::span<const std::int64_t> rows) {
  std::vector<std::string> cells;
  bool scientific = false;
  for (std::int64_t r : rows) {
    const double v = c.as_double(r);
    if (std::isfinite(v) && v != 0 && (std::fabs(v) >= 1e16 || std::fabs(v) < 1e-4)) scientific = true;
  }
  int trim = 6;
  for (std::int64_t r : rows) {
    const double v = c.as_double(r);
    char text[64];
    std::snprintf(text, sizeof text, scientific ? "%.6e" : "%.6f", v);
    cells.emplace_back(text);
    if (!std::isfinite(v) || scientific) continue;
    int zeros = 0;
    const std::string& s = cells.back();
    for (std::size_t k = s.size(); k-- > 0 && s[k] == '0' && zeros < 5;) ++zeros;
    trim = std::min(trim, zeros);
  }
  for (std::size_t k = 0; k < cells.size(); ++k) {
    const double v = c.as_double(rows[k]);
    if (std::isnan(v)) cells[k] = "NaN";
    else if (std::isinf(v)) cells[k] = v > 0 ? "inf" : "-inf";
    else if (!scientific) cells[k].resize(cells[k].size() - static_cast<std::size_t>(trim));
  }
  return cells;
}

std::vector<std::string> cells_of(const Column& c, std::span<const std::int64_t> rows) {
  if (c.type() == ColumnType::float64) return float_cells(c, rows);
  std::vector<std::string> cells;
  bool date_only = c.type() == ColumnType::timestamp;
  if (date_only) {
    constexpr std::int64_t per_day = 86400LL * 1000000000LL;
    for (std::int64_t r : rows) {
      if (c.is_valid(r) && c.int64s()[static_cast<std::size_t>(r)] % per_day != 0) date_only = false;
    }
  }
  for (std::int64_t r : rows) {
    if (c.type() == ColumnType::timestamp && c.is_valid(r)) {
      cells.push_back(calendar::format_timestamp(c.int64s()[static_cast<std::size_t>(r)], date_only));
    } else {
      cells.push_back(c.format(r));
    }
  }
  return cells;
}

}  // namespace

void Table::print(std::ostream& out, std::int64_t max_rows) const {
  std::vector<std::int64_t> rows;
  const bool cut = rows_ > max_rows;
  const std::int64_t half = std::max<std::int64_t>(max_rows / 2, 1);
  if (cut) {
    for (std::int64_t r = 0; r < half; ++r) rows.push_back(r);
    for (std::int64_t r = rows_ - half; r < rows_; ++r) rows.push_back(r);
  } else {
    for (std::int64_t r = 0; r < rows_; ++r) rows.push_back(r);
  }
  if (columns_.empty()) {
    out << "Empty DataFrame\nColumns: []\nIndex: [" << rows_ << " rows]\n";
    return;
  }
  if (rows_ == 0) {
    out << "Empty DataFrame\nColumns: [";
    for (std::size_t c = 0; c < names_.size(); ++c) out << (c ? ", " : "") << names_[c];
    out << "]\nIndex: []\n";
    return;
  }
  // The index (row numbers), then every column right-aligned under its name, as pandas does.
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> index;
  for (std::int64_t r : rows) index.push_back(std::to_string(r));
  std::vector<std::size_t> width;
  std::size_t index_width = 0;
  for (const auto& s : index) index_width = std::max(index_width, s.size());
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    cells.push_back(cells_of(*columns_[c], rows));
    std::size_t w = names_[c].size();
    for (const auto& s : cells.back()) w = std::max(w, s.size());
    width.push_back(w);
  }
  auto pad = [&](const std::string& s, std::size_t w) { out << std::string(w > s.size() ? w - s.size() : 0, ' ') << s; };
  out << std::string(index_width, ' ');
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    out << "  ";
    pad(names_[c], width[c]);
  }
  out << "\n";
  for (std::size_t k = 0; k < rows.size(); ++k) {
    if (cut && k == static_cast<std::size_t>(half)) {
      pad("..", index_width);
      for (std::size_t c = 0; c < columns_.size(); ++c) {
        out << "  ";
        pad(width[c] >= 3 ? "..." : "..", width[c]);
      }
      out << "\n";
    }
    out << index[k] << std::string(index_width - index[k].size(), ' ');
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      out << "  ";
      pad(cells[c][k], width[c]);
    }
    out << "\n";
  }
  if (cut) out << "\n[" << rows_ << " rows x " << columns_.size() << " columns]\n";
}

std::string Table::to_string(std::int64_t max_rows) const {
  std::ostringstream s;
  print(s, max_rows);
  return s.str();
}

std::ostream& operator<<(std::ostream& out, const Table& table) {
  table.print(out);
  return out;
}

// ---- Transport: a header, then each buffer's raw bytes ----

namespace {
void put_bytes(ByteWriter& out, std::span<const std::byte> bytes) {
  const std::uint64_t n = bytes.size();
  out.write(&n, sizeof n);
  out.write(bytes.data(), bytes.size());
}
}  // namespace

void Transport<Column>::encode(const Column& c, ByteWriter& out) {
  out.put(static_cast<std::uint8_t>(c.type_));
  out.put(c.length_);
  out.put(c.null_count_);
  put_bytes(out, c.used_values());
  put_bytes(out, c.type_ == ColumnType::string ? c.string_bytes() : std::span<const std::byte>{});
  put_bytes(out, c.used_validity());
  const bool dict = c.dictionary_ != nullptr;
  out.put(dict);
  if (dict) out.put(*c.dictionary_);
}

Column Transport<Column>::decode(ByteReader& in) {
  Column c;
  c.type_ = static_cast<ColumnType>(in.get<std::uint8_t>());
  in.get(c.length_);
  in.get(c.null_count_);
  in.get(c.values_);
  in.get(c.bytes_);
  in.get(c.validity_);
  if (in.get<bool>()) c.dictionary_ = std::make_shared<const Column>(in.get<Column>());
  return c;
}

void Transport<Table>::encode(const Table& t, ByteWriter& out) {
  out.put(static_cast<std::uint64_t>(t.num_columns()));
  out.put(t.num_rows());
  for (std::size_t c = 0; c < t.num_columns(); ++c) {
    out.put(t.names()[c]);
    out.put(t.column(c));
  }
}

Table Transport<Table>::decode(ByteReader& in) {
  const auto n = in.get<std::uint64_t>();
  const auto rows = in.get<std::int64_t>();
  std::vector<std::string> names;
  std::vector<std::shared_ptr<const Column>> cols;
  for (std::uint64_t c = 0; c < n; ++c) {
    names.push_back(in.get<std::string>());
    cols.push_back(std::make_shared<const Column>(in.get<Column>()));
  }
  if (n == 0) {
    Table t;
    (void)rows;
    return t;
  }
  return Table(std::move(names), std::move(cols));
}

}  // namespace tessera
