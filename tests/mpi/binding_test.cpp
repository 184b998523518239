// Worker threads and the launcher's binding: binding_test spread|keep, run
// by mpiexec -n 1 --bind-to core (Open MPI's default for one or two ranks).
//   spread: the pool's threads run on more CPUs than the rank is bound to;
//           the main thread keeps its one CPU.
//   keep:   (TESSERA_KEEP_BINDING=1) every worker stays on the bound CPU.
// Each task reports the CPUs its thread may run on, as the kernel says.
#include <tessera/delayed.hpp>
#include <tessera/runtime.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include <sched.h>

namespace {
int allowed_cpus() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  return ::sched_getaffinity(0, sizeof mask, &mask) == 0 ? CPU_COUNT(&mask) : -1;
}
}  // namespace

int main(int argc, char** argv) {
  tessera::Runtime runtime(argc, argv, {.threads = 2});
  const bool keep = argc > 1 && std::strcmp(argv[1], "keep") == 0;
  const int main_cpus = allowed_cpus();
  auto where = tessera::delayed([](int) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // so that both workers take some
    return allowed_cpus();
  }, "where");
  std::vector<tessera::Delayed<int>> parts;
  for (int i = 0; i < 16; ++i) parts.push_back(where(i));
  const auto seen = tessera::compute(tessera::delayed([](const std::vector<int>& v) { return v; }, "all")(parts));
  const int widest = *std::max_element(seen.begin(), seen.end());
  const int online = static_cast<int>(std::thread::hardware_concurrency());
  std::printf("main thread: %d CPUs; widest worker: %d CPUs; worker_cpus()=%u; online: %d\n", main_cpus, widest,
              runtime.worker_cpus(), online);
  bool ok = main_cpus == 1;  // the test runs bound to one core
  if (keep) {
    ok = ok && widest == 1 && runtime.worker_cpus() == 1;
  } else {
    ok = ok && widest == online && runtime.worker_cpus() == static_cast<unsigned>(online);
  }
  std::printf("%s\n", ok ? "ok" : "FAIL");
  return ok ? 0 : 1;
}
