// Ranks that do not all reach a compute(): collective_wait late|missing|departed.
//   late:     rank 0 reaches it seconds after the others (they warn, then it runs)
//   missing:  rank 0 never does, but lives on (with TESSERA_COLLECTIVE_TIMEOUT the job ends)
//   departed: rank 0 ends its Runtime instead (the others fail at once, naming it)
// tests/mpi/collective_wait_test.sh checks what the waiting ranks print.
#include <tessera/delayed.hpp>
#include <tessera/runtime.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

int main(int argc, char** argv) {
  tessera::Runtime runtime(argc, argv);
  const bool late = argc > 1 && std::strcmp(argv[1], "late") == 0;
  const bool departed = argc > 1 && std::strcmp(argv[1], "departed") == 0;
  auto inc = tessera::delayed([](int v) { return v + 1; }, "inc");
  (void)tessera::compute(inc(0));  // collective call #1: everyone
  if (runtime.rank() == 0) {
    if (departed) {
      std::printf("rank 0 skips the second compute() and ends\n");
      return 0;
    }
    if (!late) {
      std::printf("rank 0 skips the second compute() and waits\n");
      std::this_thread::sleep_for(std::chrono::seconds(50));
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3000));
  }
  const int two = tessera::compute(inc(1));  // collective call #2
  std::printf("rank %d computed %d\n", runtime.rank(), two);
  return 0;
}
