// infer_schema: the header and the column types from the first bytes of one file.
#include "io/csv/csv_reader.hpp"
#include "io/csv/field_values.hpp"
#include "io/csv/file_bytes.hpp"
#include "io/csv/row_scanner.hpp"

#include <tessera/error.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tessera::csv {

namespace {

// The first `n` bytes of the file (inflated for a .gz).
std::string read_prefix(const std::string& path, std::int64_t n) {
  if (is_gzip_path(path)) return inflate_gzip(path, n);
  FileBytes file(path, false);
  file.load(0, n);
  return std::string(file.at(0), static_cast<std::size_t>(std::min(file.loaded_end(), n)));
}

// What the sample says each field can be.
struct FieldEvidence {
  std::int64_t values = 0;  // non-NA fields seen
  bool ints = true, floats = true, bools = true;
  void see(std::string_view s, const NaTokens& na) {
    if (na.contains(s)) return;
    ++values;
    std::int64_t i = 0;
    double d = 0;
    bool b = false;
    if (ints && !parse_int64(s, i)) ints = false;
    if (floats && !ints && !parse_float64(s, d)) floats = false;
    if (bools && !parse_bool(s, b)) bools = false;
  }
  ColumnType type(std::int64_t rows) const {
    if (values == 0) return rows == 0 ? ColumnType::string : ColumnType::float64;  // pandas: object / float64
    if (ints) return ColumnType::int64;
    if (floats) return ColumnType::float64;
    if (bools) return ColumnType::bool_;
    return ColumnType::string;
  }
};

// pandas renames a repeated column "a" to "a.1", "a.2", ...
std::vector<std::string> without_duplicates(std::vector<std::string> names) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]) == names.begin() + static_cast<std::ptrdiff_t>(i)) continue;
    for (int k = 1;; ++k) {
      std::string candidate = std::string(names[i]).append(".").append(std::to_string(k));
      if (std::find(names.begin(), names.end(), candidate) == names.end()) {
        names[i] = std::move(candidate);
        break;
      }
    }
  }
  return names;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out.append(out.empty() ? "" : ", ").append(n);
  return out;
}

void check_known(const std::string& path, const std::vector<std::string>& columns, const std::string& name,
                 const char* option) {
  if (std::find(columns.begin(), columns.end(), name) == columns.end()) {
    throw InputError(std::string(path).append(": ").append(option).append(" names column '").append(name)
                         .append("', which the file does not have (its columns: ").append(joined(columns)).append(")"));
  }
}

}  // namespace

Schema infer_schema(const std::string& path, const CsvOptions& options) {
  const NaTokens na(options);
  RowScanner scanner(Dialect{options.sep, options.quotechar});
  // The sample, grown until it holds the header and one whole data row.
  std::int64_t want = std::max<std::int64_t>(options.sample, 1024);
  std::string text;
  bool at_eof = false;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // the sample's rows, as text (bounded by the sample's size)
  for (;;) {
    text = read_prefix(path, want);
    at_eof = static_cast<std::int64_t>(text.size()) < want;
    if (starts_with_utf8_bom(text.data(), static_cast<std::int64_t>(text.size()))) text.erase(0, 3);
    header.clear();
    rows.clear();
    const char* p = text.data();
    const char* const limit = text.data() + text.size();
    bool need_more = false, have_header = !options.header;
    while (p < limit) {
      const char* next = nullptr;
      const RowStatus status = scanner.next(p, limit, at_eof, next);
      if (status == RowStatus::need_more) {
        need_more = true;
        break;
      }
      if (status == RowStatus::unterminated) {
        const auto line = std::count(static_cast<const char*>(text.data()), p, '\n') + 1;
        throw InputError(std::string(path).append(", line ").append(std::to_string(line))
                             .append(": a quoted field is not closed before the end of the file"));
      }
      p = next;
      if (status == RowStatus::blank) continue;
      std::vector<std::string> fields(scanner.fields().begin(), scanner.fields().end());
      if (!have_header) {
        header = std::move(fields);
        have_header = true;
      } else {
        rows.push_back(std::move(fields));
      }
    }
    scanner.reset();
    if (at_eof || !need_more || (have_header && !rows.empty())) break;
    want *= 2;
  }
  if ((options.header && header.empty()) || (!options.header && rows.empty() && options.names.empty())) {
    throw InputError(std::string(path).append(": no columns to parse (the file is empty)"));
  }

  Schema schema;
  schema.sampled_rows = static_cast<std::int64_t>(rows.size());
  schema.header = options.header ? header : std::vector<std::string>{};
  schema.fields = static_cast<int>(options.header ? header.size() : rows.empty() ? options.names.size() : rows[0].size());
  std::vector<std::string> columns;
  if (!options.names.empty()) {
    if (static_cast<int>(options.names.size()) != schema.fields) {
      throw InputError(std::string(path).append(": ").append(std::to_string(options.names.size()))
                           .append(" names given for ").append(std::to_string(schema.fields)).append(" columns"));
    }
    columns = options.names;
  } else if (options.header) {
    columns = without_duplicates(header);
  } else {
    for (int i = 0; i < schema.fields; ++i) columns.push_back(std::to_string(i));
  }
  for (const std::string& c : options.usecols) check_known(path, columns, c, "usecols");
  for (const auto& [c, type] : options.dtype) check_known(path, columns, c, "dtype");
  for (const std::string& c : options.parse_dates) check_known(path, columns, c, "parse_dates");

  std::vector<FieldEvidence> evidence(static_cast<std::size_t>(schema.fields));
  for (const auto& row : rows) {
    for (std::size_t f = 0; f < std::min(row.size(), evidence.size()); ++f) evidence[f].see(row[f], na);
  }
  auto listed = [](const std::vector<std::string>& list, const std::string& name) {
    return std::find(list.begin(), list.end(), name) != list.end();
  };
  for (int f = 0; f < schema.fields; ++f) {
    const std::string& name = columns[static_cast<std::size_t>(f)];
    if (!options.usecols.empty() && !listed(options.usecols, name)) continue;
    ColumnType type = evidence[static_cast<std::size_t>(f)].type(static_cast<std::int64_t>(rows.size()));
    if (listed(options.parse_dates, name)) type = ColumnType::timestamp;
    if (const auto it = options.dtype.find(name); it != options.dtype.end()) type = it->second;
    schema.names.push_back(name);
    schema.types.push_back(type);
    schema.field_of.push_back(f);
  }
  return schema;
}

}  // namespace tessera::csv
