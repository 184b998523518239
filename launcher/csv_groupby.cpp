// tessera csv-groupby: the DataFrame for people who do not write C++. Reads
// the CSV files a glob matches (expanded by Tessera, sorted), groups by one
// or more columns and prints one CSV row per group on rank 0, sorted by the
// keys: KEY[,KEY2],COL_FUNC,... with floats to 17 significant digits and
// strings quoted as RFC 4180 requires.
#include "commands.hpp"

#include <tessera/dataframe.hpp>
#include <tessera/io/csv.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace tessera::launcher {

namespace {

std::string csv_field(const Column& c, std::int64_t r) {
  if (!c.is_valid(r)) return "";
  switch (c.type()) {
    case ColumnType::float64: {
      const double v = c.float64s()[static_cast<std::size_t>(r)];
      if (std::isnan(v)) return "";
      char text[40];
      std::snprintf(text, sizeof text, "%.17g", v);
      return text;
    }
    case ColumnType::string: case ColumnType::categorical: {
      const std::string_view s = c.string(r);
      if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
      std::string quoted = "\"";
      for (char ch : s) {
        if (ch == '"') quoted += '"';
        quoted += ch;
      }
      return quoted += '"';
    }
    default: return c.format(r);
  }
}

}  // namespace

Action add_csv_groupby(CLI::App& app, const GlobalOptions& global) {
  struct Options {
    std::string glob;
    std::vector<std::string> by, agg;
    std::int64_t blocksize = 64 << 20;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("csv-groupby", "group CSV files by columns and aggregate, in parallel");
  cmd->add_option("glob", options->glob, "the files, e.g. 'data/2015-*.csv' (quoted: Tessera expands it)")->required();
  cmd->add_option("--by", options->by, "a key column (repeat for several)")->required();
  cmd->add_option("--agg", options->agg,
                  "COL:FUNC, FUNC one of sum, mean, count, size, min, max, std, var, nunique, first, last (repeat)")
      ->required();
  cmd->add_option("--blocksize", options->blocksize, "bytes per partition within a file (default 64 MiB)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40));
  return [options, &global] {
    namespace dd = tessera::dataframe;
    std::vector<std::pair<std::string, std::string>> specs;
    for (const auto& a : options->agg) {
      const auto colon = a.rfind(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == a.size()) {
        throw InputError("--agg " + a + ": expected COL:FUNC, e.g. value:mean");
      }
      specs.emplace_back(a.substr(0, colon), a.substr(colon + 1));
    }
    dd::CsvOptions csv;
    csv.blocksize = options->blocksize;
    const Table result = dd::read_csv(options->glob, csv).groupby(options->by).agg(specs).compute();
    if (global.runtime->rank() != 0) return 0;
    std::string out;
    for (std::size_t c = 0; c < result.num_columns(); ++c) {
      if (c) out += ',';
      out += result.names()[c];
    }
    out += '\n';
    for (std::int64_t r = 0; r < result.num_rows(); ++r) {
      for (std::size_t c = 0; c < result.num_columns(); ++c) {
        if (c) out += ',';
        out += csv_field(result.column(c), r);
      }
      out += '\n';
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    return 0;
  };
}

}  // namespace tessera::launcher
