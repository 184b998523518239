// W1 (issue 11) on the DataFrame, timed inside one process (as dask_ref.py
// times Dask): read_csv(GLOB).groupby("user_id")["value"].mean().compute().
//
//     mpiexec -n 2 dataframe_w1_bench 'DIR/2015-*-*.csv' [--repeat N] [--blocksize BYTES]
//
// One line per repeat and a summary line on rank 0, key=value; the checksum
// is the sum of the means, as dask_ref.py and duckdb_ref.mjs print it.
#include <tessera/dataframe.hpp>
#include <tessera/io/csv.hpp>
#include <tessera/runtime.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <sys/resource.h>

namespace dd = tessera::dataframe;

int main(int argc, char** argv) {
  tessera::Runtime runtime(argc, argv);
  if (argc < 2) {
    if (runtime.rank() == 0) std::fprintf(stderr, "usage: dataframe_w1_bench GLOB [--repeat N] [--blocksize BYTES]\n");
    return 2;
  }
  int repeat = 3;
  dd::CsvOptions options;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--repeat") repeat = std::stoi(argv[i + 1]);
    else if (flag == "--blocksize") options.blocksize = std::stoll(argv[i + 1]);
  }
  double best = 1e300, checksum = 0;
  std::int64_t groups = 0, partitions = 0;
  for (int r = 0; r < repeat; ++r) {
    runtime.barrier();
    const auto start = std::chrono::steady_clock::now();
    const auto df = dd::read_csv(std::string(argv[1]), options);
    const tessera::Table means = df.groupby("user_id")["value"].mean().compute();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, secs);
    checksum = 0;
    for (std::int64_t g = 0; g < means.num_rows(); ++g) checksum += means.column("value").as_double(g);
    groups = means.num_rows();
    partitions = df.npartitions();
    if (runtime.rank() == 0) std::printf("w1 repeat=%d seconds=%.4f checksum=%.10e\n", r, secs, checksum);
  }
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  if (runtime.rank() == 0) {
    std::printf("w1_summary ranks=%d partitions=%lld groups=%lld best_seconds=%.4f checksum=%.10e peak_rss_mib=%ld\n",
                runtime.size(), static_cast<long long>(partitions), static_cast<long long>(groups), best, checksum,
                usage.ru_maxrss / 1024);
  }
  return 0;
}
