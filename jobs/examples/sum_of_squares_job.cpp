// An example job for `tessera run`: the sum of i*i for i < n, in chunks, as a
// Delayed tree. Run: mpirun -n 4 tessera run ./libsum_of_squares_job.so 1000000
#include <tessera/job.hpp>
#include <tessera/tessera.hpp>

#include <cstdio>
#include <cstdlib>
#include <numeric>

extern "C" int tessera_job(tessera::Runtime& runtime, int argc, char** argv) {
  const std::int64_t n = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  const std::int64_t chunk = argc > 2 ? std::atoll(argv[2]) : 10'000;
  auto partial = tessera::delayed([](std::int64_t begin, std::int64_t end) {
    std::int64_t s = 0;
    for (std::int64_t i = begin; i < end; ++i) s += i * i;
    return s;
  }, "partial");
  std::vector<tessera::Delayed<std::int64_t>> parts;
  for (std::int64_t begin = 0; begin < n; begin += chunk) parts.push_back(partial(begin, std::min(n, begin + chunk)));
  auto total = tessera::delayed([](const std::vector<std::int64_t>& v) {
    return std::accumulate(v.begin(), v.end(), std::int64_t{0});
  }, "total")(parts);
  const std::int64_t result = tessera::compute(total);
  if (runtime.rank() == 0) std::printf("n=%lld ranks=%d sum_of_squares=%lld\n", static_cast<long long>(n),
                                       runtime.size(), static_cast<long long>(result));
  return 0;
}
