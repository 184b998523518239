#pragma once
// The seed's Delayed example in C++: load each file, process it, summarise
// the list. `tessera demo` writes the files and runs this on them.
//
//     L = []
//     for fn in filenames:
//         data = delayed(load)(fn)
//         L.append(delayed(process)(data))
//     result = delayed(summarize)(L)
#include <tessera/tessera.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::examples {

/// Running statistics of one file, and of all of them once merged.
struct Stats {
  std::uint64_t count = 0;
  double sum = 0, sum_squares = 0;
  double min = 0, max = 0;
  double mean() const { return count ? sum / static_cast<double>(count) : 0.0; }
  double std() const;  // population standard deviation, as numpy.std
};

/// Writes `files` text files of `rows` seeded numbers each (one per line)
/// into `dir`, named part-000.txt, ...; returns their paths, sorted.
std::vector<std::string> write_demo_files(const std::string& dir, int files, int rows, std::uint64_t seed);
/// The paths write_demo_files gives, without writing anything.
std::vector<std::string> demo_file_paths(const std::string& dir, int files);

/// load -> process per file, then summarize: the seed's Delayed example.
tessera::Delayed<Stats> summarize_files(const std::vector<std::string>& paths);

/// The seed's Futures example: submit(load, fn) per file, then submit(summarize, futures).
Stats summarize_files_with_futures(const std::vector<std::string>& paths);

}  // namespace tessera::examples
