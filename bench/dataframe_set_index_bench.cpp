// set_index at scale (issue 11): ROWS rows of (key: a scrambled int64, value)
// made inside their tasks in PARTS partitions, sorted into the index across
// the ranks with a memory budget per rank; prints the time, the partitions'
// balance, each rank's peak resident memory and the budget's record.
//
//     mpiexec -n 2 dataframe_set_index_bench [--rows 100000000] [--parts 200] [--memory-limit 2GiB]
#include <tessera/dataframe.hpp>
#include <tessera/memory.hpp>
#include <tessera/runtime.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <sys/resource.h>

namespace dd = tessera::dataframe;
using namespace tessera;

int main(int argc, char** argv) {
  Runtime runtime(argc, argv);
  std::int64_t rows = 100'000'000, parts = 200;
  std::string limit = "2GiB";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--rows") rows = std::stoll(argv[i + 1]);
    else if (flag == "--parts") parts = std::stoll(argv[i + 1]);
    else if (flag == "--memory-limit") limit = argv[i + 1];
  }
  MemoryOptions memory;
  memory.limit = parse_memory_limit(limit);
  configure_memory(memory);
  ColumnBuilder seeds(ColumnType::int64);
  for (std::int64_t p = 0; p < parts; ++p) seeds.append(p);
  const std::int64_t per_part = rows / parts;
  const auto df = dd::from_table(Table({"seed"}, {seeds.finish()}), parts)
                      .map_partitions(
                          [per_part](const Table& t) {
                            ColumnBuilder key(ColumnType::int64), value(ColumnType::float64);
                            key.reserve(per_part * t.num_rows());
                            value.reserve(per_part * t.num_rows());
                            for (std::int64_t r = 0; r < t.num_rows(); ++r) {
                              const std::int64_t seed = t.column(0).int64s()[static_cast<std::size_t>(r)];
                              for (std::int64_t i = 0; i < per_part; ++i) {
                                const auto n = static_cast<std::uint64_t>(seed * per_part + i);
                                key.append(static_cast<std::int64_t>((n * 0x9e3779b97f4a7c15ull) >> 1));
                                value.append(static_cast<double>(n));
                              }
                            }
                            return Table({"key", "value"}, {key.finish(), value.finish()});
                          },
                          "make-rows");
  runtime.barrier();
  const auto start = std::chrono::steady_clock::now();
  ComputeStats stats;
  const auto indexed = df.set_index("key").persist({.stats = &stats});
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::uint64_t budget_peak = stats.peak_memory_bytes, spilled = stats.spilled_bytes;
  // Balance and order: rows, first and last key of each partition.
  const Table summary = indexed
                            .map_partitions(
                                [](const Table& t) {
                                  ColumnBuilder n(ColumnType::int64), sorted(ColumnType::bool_);
                                  const auto k = t.column("key").int64s();
                                  n.append(t.num_rows());
                                  sorted.append(std::is_sorted(k.begin(), k.end()));
                                  return Table({"n", "sorted"}, {n.finish(), sorted.finish()});
                                },
                                "summary")
                            .compute();
  std::int64_t total = 0, largest = 0, smallest = rows;
  bool sorted = true;
  for (std::int64_t p = 0; p < summary.num_rows(); ++p) {
    const std::int64_t n = summary.column("n").int64s()[static_cast<std::size_t>(p)];
    total += n;
    largest = std::max(largest, n);
    smallest = std::min(smallest, n);
    sorted = sorted && summary.column("sorted").bools()[static_cast<std::size_t>(p)];
  }
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  const std::int64_t rss = runtime.max_over_ranks(static_cast<std::int64_t>(usage.ru_maxrss / 1024));
  const auto budget_peak_max = runtime.max_over_ranks(static_cast<std::int64_t>(budget_peak >> 20));
  const auto spilled_total = runtime.sum_over_ranks(static_cast<std::int64_t>(spilled >> 20));
  if (runtime.rank() == 0) {
    std::printf("set_index_summary ranks=%d rows=%lld parts=%lld seconds=%.2f rows_out=%lld sorted=%d "
                "largest_part=%lld smallest_part=%lld mean_part=%lld limit_mib=%llu peak_rss_mib_max=%lld "
                "budget_peak_mib_max=%lld spilled_mib=%lld divisions=%zu\n",
                runtime.size(), static_cast<long long>(rows), static_cast<long long>(parts), secs,
                static_cast<long long>(total), sorted ? 1 : 0, static_cast<long long>(largest),
                static_cast<long long>(smallest), static_cast<long long>(total / std::max<std::int64_t>(1, parts)),
                static_cast<unsigned long long>(memory.limit >> 20), static_cast<long long>(rss),
                static_cast<long long>(budget_peak_max), static_cast<long long>(spilled_total), indexed.divisions().size());
  }
  return 0;
}
