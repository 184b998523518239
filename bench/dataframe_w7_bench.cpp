// W7 (issue 11) on the DataFrame, timed inside one process as dask_ref.py
// times Dask: a 10M-row frame (key uniform over the right's keys, a) merged
// with a 1M-row frame (key a permutation, b) on key, inner, the result
// persisted; both inputs persisted first, untimed, in 20 and 4 partitions.
//
//     mpiexec -n 2 dataframe_w7_bench [--left N] [--right N] [--repeat N] [--broadcast -1|0|1] [--trace FILE]
//
// One line per repeat and a summary on rank 0; the checks are the result's
// row count and the sum of b, computed after the timed part.
#include <tessera/dataframe.hpp>
#include <tessera/diagnostics.hpp>
#include <tessera/runtime.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <sys/resource.h>

namespace dd = tessera::dataframe;
using tessera::ColumnBuilder;
using tessera::ColumnType;
using tessera::Table;

int main(int argc, char** argv) {
  tessera::Runtime runtime(argc, argv);
  std::int64_t nl = 10'000'000, nr = 1'000'000;
  int repeat = 3, broadcast = -1;  // -1: merge() chooses, as a user gets it
  std::string trace;  // the timed runs' task records (tessera::Profile), when given
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--left") nl = std::stoll(argv[i + 1]);
    else if (flag == "--right") nr = std::stoll(argv[i + 1]);
    else if (flag == "--repeat") repeat = std::stoi(argv[i + 1]);
    else if (flag == "--broadcast") broadcast = std::stoi(argv[i + 1]);
    else if (flag == "--trace") trace = argv[i + 1];
  }
  // The same inputs on every rank (the driver is replicated): a fixed seed.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  ColumnBuilder lkey(ColumnType::int64), a(ColumnType::float64), rkey(ColumnType::int64), b(ColumnType::float64);
  lkey.reserve(nl), a.reserve(nl), rkey.reserve(nr), b.reserve(nr);
  for (std::int64_t i = 0; i < nl; ++i) {
    lkey.append(static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(nr)));
    a.append(unit(rng));
  }
  std::vector<std::int64_t> perm(static_cast<std::size_t>(nr));
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), rng);
  for (std::int64_t i = 0; i < nr; ++i) {
    rkey.append(perm[static_cast<std::size_t>(i)]);
    b.append(unit(rng));
  }
  const Table left_table({"key", "a"}, {lkey.finish(), a.finish()});
  const Table right_table({"key", "b"}, {rkey.finish(), b.finish()});
  const auto left = dd::from_table(left_table, 20).persist();
  const auto right = dd::from_table(right_table, 4).persist();

  dd::MergeOptions options;
  options.on = {"key"};
  options.broadcast = broadcast;
  double best = 1e300;
  std::int64_t rows = 0;
  double checksum = 0;
  std::optional<tessera::Profile> profile;
  if (!trace.empty()) profile.emplace();
  for (int r = 0; r < repeat; ++r) {
    runtime.barrier();
    const auto start = std::chrono::steady_clock::now();
    const auto merged = left.merge(right, options).persist();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, secs);
    rows = merged.size();
    checksum = merged["b"].sum().compute();
    if (runtime.rank() == 0) std::printf("w7 repeat=%d seconds=%.4f rows=%lld checksum=%.10e\n", r, secs, static_cast<long long>(rows), checksum);
  }
  if (profile) profile->write_trace(trace);
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  if (runtime.rank() == 0) {
    std::printf("w7_summary ranks=%d left=%lld right=%lld broadcast=%d best_seconds=%.4f rows=%lld Mrows_per_s=%.2f peak_rss_mib=%ld\n",
                runtime.size(), static_cast<long long>(nl), static_cast<long long>(nr), broadcast, best,
                static_cast<long long>(rows), static_cast<double>(nl + nr) / 1e6 / best, usage.ru_maxrss / 1024);
  }
  return 0;
}
