#pragma once
// CSV blocks into Tables (STYLE.md §8.7): the file list, the schema every rank
// infers from one sample, the byte ranges that become partitions, and the
// parser that turns one range into a Table. No graph, no MPI: the DataFrame's
// read_csv layer calls these from its tasks.
#include <tessera/io/csv.hpp>
#include <tessera/table.hpp>

#include "io/glob.hpp"

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace tessera::csv {

using dataframe::BadLines;
using dataframe::CsvOptions;

using io::expand_glob;  // io/glob.hpp: the CSV and text readers share it

/// What every partition of one read_csv produces: the output columns, their
/// types, and where each comes from among the file's fields.
struct Schema {
  std::vector<std::string> names;    // output columns (usecols applied)
  std::vector<ColumnType> types;
  std::vector<int> field_of;         // output column -> field index in a row
  int fields = 0;                    // fields a row has
  std::vector<std::string> header;   // the file's own header fields (empty without header)
  std::int64_t sampled_rows = 0;     // data rows the types were inferred from
};

/// The schema from the header and the first `options.sample` bytes of
/// `path` (a .gz is decompressed for the sample). InputError naming the file
/// for an unknown usecols/dtype/parse_dates column.
Schema infer_schema(const std::string& path, const CsvOptions& options);

/// A partition: rows of `path` whose first byte lies in [begin, end).
struct Block {
  std::string path;
  std::int64_t begin = 0, end = 0;  // byte offsets; a .gz file: 0 and its size, read whole
  bool compressed = false;
};

/// Blocks of `blocksize` bytes over each file in order (a file of 0 bytes
/// still gives one, empty, block).
std::vector<Block> plan_blocks(std::span<const std::string> paths, const CsvOptions& options);

/// Parses one block: finds its first true row start (after the header in a
/// file's first block; otherwise the first row start at or after `begin`
/// that a quote-aware scan confirms), parses each row whose first byte is
/// before `end` (reading past `end` to finish the last), and converts fields
/// to the schema's types (numbers with fast_float; NA strings to nulls).
/// A file whose header differs from the schema's, and malformed rows per
/// options.on_bad_lines, are InputErrors naming file, line (1-based,
/// physical lines from the file's start) and column. Thread-safe.
Table read_block(const Block& block, const Schema& schema, const CsvOptions& options);

/// read_block, keeping its read buffer and column builders' capacity from
/// one block to the next: one per thread that parses many blocks.
class BlockReader {
 public:
  BlockReader(Schema schema, CsvOptions options);
  BlockReader(BlockReader&&) noexcept;
  BlockReader& operator=(BlockReader&&) noexcept;
  ~BlockReader();
  Table read(const Block& block);
  /// Whether this reader parses with `schema` and `options` (read_block's per-thread reuse).
  bool reads_as(const Schema& schema, const CsvOptions& options) const;

 private:
  struct Parser;
  std::unique_ptr<Parser> parser_;
};

/// Writes `table` as CSV (RFC 4180: fields with the separator, a quote or a
/// newline are quoted, quotes doubled; floats in the shortest form that
/// reads back the same; nulls empty; timestamps ISO 8601).
void write_csv(const Table& table, std::ostream& out, bool header, char sep = ',');

}  // namespace tessera::csv
