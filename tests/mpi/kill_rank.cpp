// A rank killed with SIGKILL in the middle of a graph: the job must end, on
// every rank, with a message, well within 10 s (tests/mpi/kill_rank_test.sh times it).
#include <tessera/delayed.hpp>
#include <tessera/runtime.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

int main(int argc, char** argv) {
  tessera::Runtime runtime(argc, argv);
  const int victim = runtime.size() - 1;
  auto slow = tessera::delayed([victim](int i) {
    if (i >= 8 && tessera::Runtime::current()->rank() == victim) std::raise(SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return i;
  }, "slow");
  std::vector<tessera::Delayed<int>> parts;
  for (int i = 0; i < 400; ++i) parts.push_back(slow(i));
  auto values = tessera::compute(parts);
  std::printf("rank %d finished %zu tasks: the victim was never killed\n", runtime.rank(), values.size());
  return 0;
}
