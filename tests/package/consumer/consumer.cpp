// Built against the installed package (CMake and pkg-config): a delayed sum
// across the ranks, printed on rank 0 with a value the test checks.
#include <tessera/mpi.hpp>
#include <tessera/tessera.hpp>

#include <cstdio>
#include <vector>

std::int64_t square(std::int64_t x) { return x * x; }
std::int64_t total(const std::vector<std::int64_t>& xs) {
  std::int64_t sum = 0;
  for (auto x : xs) sum += x;
  return sum;
}

int main(int argc, char** argv) {
  tessera::Runtime runtime(argc, argv);
  std::vector<tessera::Delayed<std::int64_t>> parts;
  for (std::int64_t i = 0; i < 100; ++i) parts.push_back(tessera::delayed(square, "square")(i));
  const std::int64_t sum = tessera::compute(tessera::delayed(total, "total")(parts));
  if (runtime.rank() == 0) std::printf("consumer ranks=%d sum=%lld\n", runtime.size(), static_cast<long long>(sum));
  return sum == 328350 ? 0 : 1;
}
