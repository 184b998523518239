// W3 (issue 12) on the Bag, timed inside one process as dask_ref.py times
// Dask: read_json(GLOB).pluck("name").frequencies().topk(10, by count).compute().
//
//     mpiexec -n 2 bag_w3_bench 'DIR/*.json.gz' [--repeat N]
//
// One line per repeat and a summary on rank 0, key=value; the check is
// dask_ref's: NAME:COUNT of the top name and the sum of the ten counts.
#include <tessera/io/text.hpp>
#include <tessera/runtime.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <sys/resource.h>

namespace db = tessera::bag;

int main(int argc, char** argv) {
  tessera::Runtime runtime(argc, argv);
  if (argc < 2) {
    if (runtime.rank() == 0) std::fprintf(stderr, "usage: bag_w3_bench GLOB [--repeat N]\n");
    return 2;
  }
  int repeat = 3;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--repeat") repeat = std::stoi(argv[i + 1]);
  }
  double best = 1e300;
  std::string check;
  for (int r = 0; r < repeat; ++r) {
    runtime.barrier();
    const auto start = std::chrono::steady_clock::now();
    const auto top = db::read_json(argv[1]).pluck("name").frequencies().topk(10, [](const auto& p) { return p.second; }).compute();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, secs);
    std::int64_t sum = 0;
    for (const auto& p : top) sum += p.second;
    check = top.empty() ? "" : top[0].first.to_text() + ":" + std::to_string(top[0].second) + "/sum=" + std::to_string(sum);
    if (runtime.rank() == 0) std::printf("w3 repeat=%d seconds=%.4f check=%s\n", r, secs, check.c_str());
  }
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  if (runtime.rank() == 0) {
    std::printf("w3_summary ranks=%d best_seconds=%.4f check=%s peak_rss_mib=%ld\n", runtime.size(), best, check.c_str(),
                usage.ru_maxrss / 1024);
  }
  return 0;
}
