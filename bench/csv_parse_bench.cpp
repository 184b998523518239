// Throughput of lib/io/csv's parser: plans the blocks of a glob and parses
// them all on N threads (each with its own BlockReader), as read_csv's
// tasks would, and prints MB/s in total and per thread.
//
//   csv_parse_bench GLOB [--threads N] [--blocksize BYTES] [--parse-dates COL]... [--usecols a,b] [--passes P]
//
// The files should be in the page cache (a first pass warms it; the best of
// the passes is printed last).
#include "io/csv/csv_reader.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (std::size_t comma; (comma = list.find(',', from)) != std::string::npos; from = comma + 1) {
    out.push_back(list.substr(from, comma - from));
  }
  out.push_back(list.substr(from));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: csv_parse_bench GLOB [--threads N] [--blocksize BYTES] [--parse-dates COL] [--usecols a,b] [--passes P]\n");
    return 2;
  }
  const std::string pattern = argv[1];
  int threads = 1, passes = 3;
  tessera::dataframe::CsvOptions options;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--threads") threads = std::atoi(value.c_str());
    else if (flag == "--blocksize") options.blocksize = std::atoll(value.c_str());
    else if (flag == "--parse-dates") options.parse_dates.push_back(value);
    else if (flag == "--usecols") options.usecols = split(value);
    else if (flag == "--passes") passes = std::atoi(value.c_str());
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  const std::vector<std::string> paths = tessera::csv::expand_glob(pattern);
  const tessera::csv::Schema schema = tessera::csv::infer_schema(paths.front(), options);
  const std::vector<tessera::csv::Block> blocks = tessera::csv::plan_blocks(paths, options);
  std::int64_t bytes = 0;
  for (const auto& b : blocks) bytes += b.end - b.begin;
  std::printf("%zu files, %zu blocks, %.1f MB; columns:", paths.size(), blocks.size(), static_cast<double>(bytes) / 1e6);
  for (std::size_t c = 0; c < schema.names.size(); ++c) {
    std::printf(" %s:%s", schema.names[c].c_str(), tessera::type_name(schema.types[c]));
  }
  std::printf("\n");

  double best = 0;
  for (int pass = 0; pass < passes; ++pass) {
    std::atomic<std::size_t> next{0};
    std::atomic<std::int64_t> rows{0};
    const auto start = Clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&] {
        tessera::csv::BlockReader reader(schema, options);
        for (std::size_t b; (b = next.fetch_add(1)) < blocks.size();) rows += reader.read(blocks[b]).num_rows();
      });
    }
    for (auto& w : workers) w.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const double mbs = static_cast<double>(bytes) / 1e6 / seconds;
    best = std::max(best, mbs);
    std::printf("pass %d: %lld rows in %.3f s: %.0f MB/s, %.0f MB/s per thread (%d threads)\n", pass,
                static_cast<long long>(rows.load()), seconds, mbs, mbs / threads, threads);
  }
  std::printf("best: %.0f MB/s, %.0f MB/s per thread\n", best, best / threads);
}
