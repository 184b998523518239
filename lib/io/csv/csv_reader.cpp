// plan_blocks and read_block: byte ranges of files, and one range into a Table.
#include "io/csv/csv_reader.hpp"
#include "io/csv/block_start.hpp"
#include "io/csv/field_values.hpp"
#include "io/csv/file_bytes.hpp"
#include "io/csv/row_scanner.hpp"

#include <tessera/error.hpp>
#include <tessera/log.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <iostream>

namespace tessera::csv {

std::vector<Block> plan_blocks(std::span<const std::string> paths, const CsvOptions& options) {
  std::vector<Block> blocks;
  for (const std::string& path : paths) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw InputError(std::string(path).append(": no such file"));
    const std::int64_t size = st.st_size;
    if (is_gzip_path(path)) {
      blocks.push_back({path, 0, size, true});
      continue;
    }
    const std::int64_t step = options.blocksize > 0 ? options.blocksize : std::max<std::int64_t>(size, 1);
    std::int64_t begin = 0;
    do {
      blocks.push_back({path, begin, std::min(begin + step, size), false});
      begin += step;
    } while (begin < size);
  }
  return blocks;
}

namespace {

// One row's value of one output column, before the row is known to be good.
struct Cell {
  std::int64_t i = 0;
  double d = 0;
  std::string_view s;
  bool null = false;
};

const char* what_it_is_not(ColumnType type) {
  switch (type) {
    case ColumnType::int64: return "is not an int64";
    case ColumnType::float64: return "is not a float64";
    case ColumnType::bool_: return "is not a bool (True or False)";
    case ColumnType::timestamp: return "is not an ISO 8601 timestamp";
    default: return "cannot be read";
  }
}

}  // namespace

struct BlockReader::Parser {
  Schema schema;
  CsvOptions options;
  NaTokens na;
  RowScanner scanner;
  FileBytes file;
  std::vector<ColumnBuilder> builders;
  std::vector<Cell> cells;
  std::int64_t bad_rows = 0;

  Parser(Schema s, CsvOptions o)
      : schema(std::move(s)), options(std::move(o)), na(options), scanner(Dialect{options.sep, options.quotechar}) {
    for (ColumnType t : schema.types) builders.emplace_back(t);
    cells.resize(schema.types.size());
  }

  std::string where(std::int64_t row_offset) {
    return std::string(file.path()).append(", line ").append(std::to_string(file.line_of(row_offset)));
  }

  // A row that cannot be read: an error, or skipped (with a warning) as on_bad_lines says.
  void bad_row(std::int64_t row_offset, const std::string& reason) {
    if (options.on_bad_lines == BadLines::error) throw InputError(where(row_offset).append(reason));
    ++bad_rows;
    if (options.on_bad_lines == BadLines::warn) {
      log(LogLevel::warn, std::string("skipping ").append(where(row_offset)).append(reason));
    }
  }

  // Parses field `s` for output column c into cells[c]; false when it is not of the column's type.
  bool parse(std::size_t c, std::string_view s) {
    Cell& cell = cells[c];
    cell.null = false;
    switch (schema.types[c]) {
      case ColumnType::int64:
        if (parse_int64(s, cell.i)) {
          cell.null = na.has_numeric_tokens() && na.contains(s);
          return true;
        }
        return cell.null = na.contains(s);
      case ColumnType::float64:
        if (parse_float64(s, cell.d)) {
          cell.null = (std::isnan(cell.d) || na.has_numeric_tokens()) && na.contains(s);
          return true;
        }
        return cell.null = na.contains(s);
      case ColumnType::bool_: {
        bool b = false;
        if (parse_bool(s, b)) {
          cell.i = b;
          return true;
        }
        return cell.null = na.contains(s);
      }
      case ColumnType::timestamp:
        if (parse_timestamp(s, cell.i)) return true;
        return cell.null = na.contains(s);
      case ColumnType::string:
      case ColumnType::categorical:
        cell.null = na.contains(s);
        cell.s = s;
        return true;
    }
    return false;
  }

  void append(std::size_t c) {
    const Cell& cell = cells[c];
    ColumnBuilder& b = builders[c];
    if (cell.null) return b.append_null();
    switch (schema.types[c]) {
      case ColumnType::int64: case ColumnType::timestamp: return b.append(cell.i);
      case ColumnType::float64: return b.append(cell.d);
      case ColumnType::bool_: return b.append(cell.i != 0);
      case ColumnType::string: case ColumnType::categorical: return b.append(cell.s);
    }
  }

  // The fields of the row at `row_offset` into the builders (or bad_row).
  void convert_row(std::int64_t row_offset) {
    const std::span<const std::string_view> fields = scanner.fields();
    if (fields.size() > static_cast<std::size_t>(schema.fields)) {
      return bad_row(row_offset, std::string(": expected ").append(std::to_string(schema.fields))
                                     .append(" fields, saw ").append(std::to_string(fields.size())));
    }
    const std::size_t columns = schema.types.size();
    // When a bad row is an error, values go straight into the builders (the
    // throw discards them); otherwise the row is parsed whole before any is kept.
    const bool keep_as_parsed = options.on_bad_lines == BadLines::error;
    // Then a number that no NA token reads as (a "nan" is looked up) goes
    // straight into its builder, without the Cell round trip.
    const bool numbers_direct = keep_as_parsed && !na.has_numeric_tokens();
    for (std::size_t c = 0; c < columns; ++c) {
      const auto f = static_cast<std::size_t>(schema.field_of[c]);
      if (numbers_direct && f < fields.size()) {
        if (schema.types[c] == ColumnType::int64) {
          std::int64_t v = 0;
          if (parse_int64(fields[f], v)) {
            builders[c].append(v);
            continue;
          }
        } else if (schema.types[c] == ColumnType::float64) {
          double v = 0;
          if (parse_float64(fields[f], v) && !std::isnan(v)) {
            builders[c].append(v);
            continue;
          }
        }
      }
      if (f >= fields.size()) {
        cells[c].null = true;  // too few fields: pandas pads with NaN
      } else if (!parse(c, fields[f])) {
        return bad_row(row_offset, std::string(", column '").append(schema.names[c]).append("': '")
                                       .append(fields[f]).append("' ").append(what_it_is_not(schema.types[c])));
      }
      if (keep_as_parsed) append(c);
    }
    if (!keep_as_parsed) {
      for (std::size_t c = 0; c < columns; ++c) append(c);
    }
  }

  void check_header(std::int64_t row_offset) {
    const std::span<const std::string_view> fields = scanner.fields();
    const bool same = std::equal(fields.begin(), fields.end(), schema.header.begin(), schema.header.end());
    if (same) return;
    auto joined = [](auto&& list) {
      std::string out;
      for (const auto& f : list) out.append(out.empty() ? "" : ",").append(f);
      return out;
    };
    throw InputError(where(row_offset).append(": the header '").append(joined(fields))
                         .append("' differs from the first file's '").append(joined(schema.header)).append("'"));
  }

  // Reserves the builders for the rest of the block from the rows so far.
  void reserve(std::int64_t rows, std::int64_t bytes_so_far, std::int64_t bytes_left) {
    const double per_row = static_cast<double>(bytes_so_far) / static_cast<double>(std::max<std::int64_t>(rows, 1));
    const auto more = static_cast<std::int64_t>(static_cast<double>(bytes_left) / std::max(per_row, 1.0) * 1.05) + 16;
    for (std::size_t c = 0; c < builders.size(); ++c) {
      ColumnBuilder& b = builders[c];
      std::int64_t string_bytes = 0;
      if (schema.types[c] == ColumnType::string) string_bytes = (rows + more) * static_cast<std::int64_t>(per_row);
      b.reserve(rows + more, string_bytes);
    }
  }

  Table read(const Block& block) {
    file.open(block.path, block.compressed);
    for (ColumnBuilder& b : builders) b.clear();
    bad_rows = 0;
    const std::int64_t size = file.size();
    const std::int64_t end = block.compressed ? size : std::min(block.end, size);
    // Rows of a file read in more than one block are bounded (block_start.hpp says why).
    const bool split = !(block.begin == 0 && end >= size);
    const RowRules rules{scanner.dialect(), schema.fields, options.on_bad_lines == BadLines::error};
    std::int64_t pos = block.begin > 0 && !block.compressed ? first_row_start(file, block.begin, rules) : 0;
    bool header_pending = pos == 0 && options.header;
    file.load(pos, end + (1 << 16));
    if (pos == 0 && starts_with_utf8_bom(file.at(0), size)) pos = 3;  // as pandas: not part of the first name
    scanner.reset();
    const std::int64_t first_row = pos;
    std::int64_t rows = 0;
    while (pos < end || header_pending) {
      if (pos >= size) break;
      const char* p = file.at(pos);
      const char* next = nullptr;
      const bool at_eof = file.loaded_end() == size;
      const RowStatus status = scanner.next(p, file.at(file.loaded_end()), at_eof, next);
      if (status == RowStatus::need_more) {
        if (split && file.loaded_end() - pos > kMaxSplitRowBytes) {
          throw InputError(where(pos).append(": a row longer than 4 MiB in a file read in blocks; read it with blocksize=0"));
        }
        file.load(pos, pos + std::max<std::int64_t>(2 * (file.loaded_end() - pos), 1 << 20));
        scanner.reset();
        continue;
      }
      if (status == RowStatus::unterminated) {
        throw InputError(where(pos).append(": a quoted field is not closed before the end of the file"));
      }
      const std::int64_t row = pos;
      pos += next - p;
      if (status == RowStatus::blank) continue;
      if (header_pending) {
        header_pending = false;
        check_header(row);
        continue;
      }
      if (split && pos - row > kMaxSplitRowBytes) {
        throw InputError(where(row).append(": a row longer than 4 MiB in a file read in blocks; read it with blocksize=0"));
      }
      convert_row(row);
      if (++rows == 256) reserve(rows, pos - first_row, std::max<std::int64_t>(end - pos, 0));
    }
    file.close();
    std::vector<Column> columns;
    columns.reserve(builders.size());
    for (ColumnBuilder& b : builders) columns.push_back(b.finish());
    return Table(schema.names, std::move(columns));
  }
};

BlockReader::BlockReader(Schema schema, CsvOptions options)
    : parser_(std::make_unique<Parser>(std::move(schema), std::move(options))) {}
BlockReader::BlockReader(BlockReader&&) noexcept = default;
BlockReader& BlockReader::operator=(BlockReader&&) noexcept = default;
BlockReader::~BlockReader() = default;
Table BlockReader::read(const Block& block) { return parser_->read(block); }

bool BlockReader::reads_as(const Schema& schema, const CsvOptions& options) const {
  const Schema& s = parser_->schema;
  const CsvOptions& o = parser_->options;
  return s.names == schema.names && s.types == schema.types && s.field_of == schema.field_of && s.fields == schema.fields &&
         s.header == schema.header && o.sep == options.sep && o.quotechar == options.quotechar &&
         o.header == options.header && o.na_values == options.na_values && o.keep_default_na == options.keep_default_na &&
         o.on_bad_lines == options.on_bad_lines;
}

Table read_block(const Block& block, const Schema& schema, const CsvOptions& options) {
  // One reader per thread, kept while the schema and options stay the same:
  // a fresh one's buffers page-fault on first touch (~0.5 GB/s on our VMs).
  thread_local std::unique_ptr<BlockReader> reader;
  if (!reader || !reader->reads_as(schema, options)) reader = std::make_unique<BlockReader>(schema, options);
  return reader->read(block);
}

}  // namespace tessera::csv
