// write_csv: a Table as RFC 4180 text that pandas.read_csv reads back the same.
#include "io/csv/csv_reader.hpp"
#include "io/csv/field_values.hpp"
#include "table/civil_time.hpp"

#include <charconv>
#include <cmath>
#include <ostream>

namespace tessera::csv {

namespace {

// Quotes a field only when it holds the separator, a quote or a line break.
void put_text(std::string& out, std::string_view s, char sep) {
  if (s.find_first_of(std::string{sep, '"', '\n', '\r'}) == std::string_view::npos) {
    out.append(s);
    return;
  }
  out.push_back('"');
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

// The shortest text that reads back as the same double, with ".0" on whole
// numbers as Python's repr has (so a float column stays float in pandas).
void put_float(std::string& out, double v) {
  if (std::isnan(v)) return;  // pandas writes NaN as an empty field
  if (std::isinf(v)) {
    out.append(v > 0 ? "inf" : "-inf");
    return;
  }
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  const std::string_view text(buffer, static_cast<std::size_t>(end - buffer));
  out.append(text);
  if (text.find_first_of(".e") == std::string_view::npos) out.append(".0");
}

void put_value(std::string& out, const Column& c, std::int64_t row, char sep) {
  const auto k = static_cast<std::size_t>(row);
  switch (c.type()) {
    case ColumnType::int64: {
      char buffer[24];
      const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, c.int64s()[k]);
      out.append(buffer, static_cast<std::size_t>(end - buffer));
      break;
    }
    case ColumnType::float64: put_float(out, c.float64s()[k]); break;
    case ColumnType::bool_: out.append(c.bools()[k] ? "True" : "False"); break;
    case ColumnType::timestamp: out.append(calendar::format_timestamp(c.int64s()[k])); break;
    case ColumnType::string: case ColumnType::categorical: put_text(out, c.string(row), sep); break;
  }
}

}  // namespace

void write_csv(const Table& table, std::ostream& out, bool header, char sep) {
  std::string text;
  const std::size_t columns = table.num_columns();
  // With one column an empty field would make a blank line, which readers
  // skip: write it as "" instead (it reads back as null).
  const bool lone = columns == 1;
  auto end_line = [&](std::size_t line_start) {
    if (lone && text.size() == line_start) text.append("\"\"");
    text.push_back('\n');
    if (text.size() > (1 << 20)) {
      out.write(text.data(), static_cast<std::streamsize>(text.size()));
      text.clear();
    }
  };
  if (header) {
    const std::size_t start = text.size();
    for (std::size_t c = 0; c < columns; ++c) {
      if (c > 0) text.push_back(sep);
      put_text(text, table.names()[c], sep);
    }
    end_line(start);
  }
  for (std::int64_t r = 0; r < table.num_rows(); ++r) {
    const std::size_t start = text.size();
    for (std::size_t c = 0; c < columns; ++c) {
      if (c > 0) text.push_back(sep);
      const Column& column = table.column(c);
      if (column.is_valid(r)) put_value(text, column, r, sep);
    }
    end_line(start);
  }
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace tessera::csv
