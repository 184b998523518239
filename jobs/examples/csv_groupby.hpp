#pragma once
// The seed's DataFrame example in C++: the mean value per user over a set of
// daily CSV files. `tessera demo` writes the files and runs this on them.
//
//     import dask.dataframe as dd                 namespace dd = tessera::dataframe;
//     df = dd.read_csv('2015-*-*.csv')            auto df = dd::read_csv("2015-*-*.csv");
//     df.groupby(df.user_id).value.mean()         df.groupby("user_id")["value"].mean()
//       .compute()                                  .compute();
#include <tessera/compute.hpp>
#include <tessera/table.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::examples {

/// Writes `files` CSV files 2015-01-01.csv, 2015-01-02.csv, ... of `rows`
/// rows each into `dir`: user_id (1-1000), name (some quoted, with commas,
/// quotes or a newline inside), value (uniform [0, 1), about 1% empty), and
/// timestamp ("2015-01-DD HH:MM:SS"). Returns the paths.
std::vector<std::string> write_demo_csv(const std::string& dir, int files, std::int64_t rows, std::uint64_t seed);

/// read_csv(pattern).groupby("user_id")["value"].mean().compute().
tessera::Table user_means(const std::string& pattern, const ComputeOptions& options = {});

}  // namespace tessera::examples
