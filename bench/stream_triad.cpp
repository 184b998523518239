// STREAM's triad, a[i] = b[i] + s * c[i], on T threads over arrays much
// larger than the caches, as the memory-bandwidth ceiling for
// bench/w2_vs_dask.sh. Each thread first-touches its own slice, so the pages
// are faulted in before the timed passes (fresh pages are slow on this VM),
// and the best of P passes is reported, in STREAM's convention (3 x 8 bytes
// per element: two reads and a write, no write-allocate). A read-only pass
// (a sum over a, 8 bytes per element) is reported too: it is what a
// reduction's pass over its input does.
//
//     stream_triad [--threads 2] [--mib 512] [--passes 10]
//     -> triad_GBps=... read_GBps=... threads=2 mib_per_array=512 passes=10
#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  unsigned threads = 2;
  std::size_t mib = 512;
  int passes = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--threads") threads = static_cast<unsigned>(std::atoi(argv[i + 1]));
    else if (flag == "--mib") mib = static_cast<std::size_t>(std::atoll(argv[i + 1]));
    else if (flag == "--passes") passes = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: stream_triad [--threads T] [--mib MiB per array] [--passes P]\n");
      return 2;
    }
  }
  threads = std::max(threads, 1u);
  const std::size_t n = mib * (std::size_t{1} << 20) / sizeof(double);
  // Not value-initialised: each thread touches its own slice first.
  std::unique_ptr<double[]> a(new double[n]), b(new double[n]), c(new double[n]);
  std::vector<double> triad(static_cast<std::size_t>(passes)), read(static_cast<std::size_t>(passes));
  std::vector<double> sums(threads);
  std::barrier sync(static_cast<std::ptrdiff_t>(threads));
  using clock = std::chrono::steady_clock;
  clock::time_point start;
  auto work = [&](unsigned t) {
    const std::size_t lo = n * t / threads, hi = n * (t + 1) / threads;
    for (std::size_t i = lo; i < hi; ++i) {
      a[i] = 1.0;
      b[i] = 2.0;
      c[i] = 0.5;
    }
    const double s = 3.0;
    for (int p = 0; p < passes; ++p) {
      sync.arrive_and_wait();
      if (t == 0) start = clock::now();
      sync.arrive_and_wait();
      for (std::size_t i = lo; i < hi; ++i) a[i] = b[i] + s * c[i];
      sync.arrive_and_wait();
      if (t == 0) triad[static_cast<std::size_t>(p)] = std::chrono::duration<double>(clock::now() - start).count();
      sync.arrive_and_wait();
      if (t == 0) start = clock::now();
      sync.arrive_and_wait();
      double lanes[8] = {};
      std::size_t i = lo;
      for (; i + 8 <= hi; i += 8) {
        for (int j = 0; j < 8; ++j) lanes[j] += a[i + static_cast<std::size_t>(j)];
      }
      for (; i < hi; ++i) lanes[0] += a[i];
      double sum = 0;
      for (double l : lanes) sum += l;
      sums[t] += sum;
      sync.arrive_and_wait();
      if (t == 0) read[static_cast<std::size_t>(p)] = std::chrono::duration<double>(clock::now() - start).count();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
  const double best_triad = *std::min_element(triad.begin(), triad.end());
  const double best_read = *std::min_element(read.begin(), read.end());
  double check = 0;
  for (double s : sums) check += s;
  std::printf("triad_GBps=%.2f read_GBps=%.2f threads=%u mib_per_array=%zu passes=%d check=%.6g\n",
              3.0 * 8.0 * static_cast<double>(n) / best_triad / 1e9, 8.0 * static_cast<double>(n) / best_read / 1e9,
              threads, mib, passes, check);
  return 0;
}
