#pragma once
/// DataFrames read from and written to CSV files (pandas' read_csv/to_csv,
/// Dask's dd.read_csv): the seed example.
///
///     namespace dd = tessera::dataframe;
///     auto df = dd::read_csv("2015-*-*.csv");                 // the sorted files, in 64 MiB blocks
///     auto means = df.groupby("user_id")["value"].mean().compute();   // the same Table on every rank
///     dd::to_csv(df[df["value"] > 0], "out/part-*.csv");      // one file per partition
///
/// A glob is expanded by Tessera and sorted (not by the shell). Each file is
/// cut into byte ranges of `blocksize`; a block's rows are those whose first
/// byte lies inside it, so a quoted field with newlines is never split. Types
/// are inferred from the first `sample` bytes of the first file (int64,
/// float64, bool, timestamp for `parse_dates`, else string), with `dtype`
/// overriding. A `.gz` file is read whole as one partition. A malformed row
/// (an unterminated quote, too many fields, a value that does not parse as
/// its column's type) is an InputError naming file, line and column, unless
/// `on_bad_lines` says to warn or skip.
#include <tessera/table.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tessera::dataframe {

class DataFrame;

enum class BadLines : std::uint8_t { error, warn, skip };

struct CsvOptions {
  char sep = ',';
  char quotechar = '"';
  bool header = true;                  // the first line names the columns
  std::vector<std::string> names;      // the names to use instead (with header: replaces it)
  std::vector<std::string> usecols;    // only these columns, in the file's order
  std::map<std::string, ColumnType> dtype;  // a column's type instead of the inferred one
  std::vector<std::string> parse_dates;     // columns parsed as timestamps (ISO 8601)
  /// Fields that mean null, pandas' defaults; keep_default_na = false uses na_values only.
  std::vector<std::string> na_values;
  bool keep_default_na = true;
  std::int64_t blocksize = 64 << 20;   // bytes per partition within a file (0: a file per partition)
  std::int64_t sample = 256000;        // bytes of the first file that types are inferred from
  BadLines on_bad_lines = BadLines::error;
};

/// A lazy DataFrame over the CSV files `pattern` matches (a path, or a glob
/// with * ? [...]), or the files listed. InputError naming the pattern when
/// nothing matches, naming the file when a header differs from the first.
DataFrame read_csv(const std::string& pattern, const CsvOptions& options = {});
DataFrame read_csv(const std::vector<std::string>& paths, const CsvOptions& options = {});

struct ToCsvOptions {
  char sep = ',';
  bool header = true;
  bool index = false;  // pandas writes the index by default; a Tessera frame has none to write
};

/// Writes `frame`: with a '*' in `pattern`, one file per partition (the '*'
/// replaced by its number, as Dask's name_function); otherwise one file, the
/// partitions in order. The directory is made if missing. Collective: every
/// rank calls it. Returns the paths.
std::vector<std::string> to_csv(const DataFrame& frame, const std::string& pattern, const ToCsvOptions& options = {});

}  // namespace tessera::dataframe
