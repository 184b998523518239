// A task that crashes its process: tests/signals/crash_test.sh checks that the
// process dies of the signal and that stderr names the task and the rank.
//   crash_task segv|abort|fpe|overflow
// Tasks ('crash', 0..3); ('crash', 3) crashes, on the last rank under mpiexec.
#include <tessera/compute.hpp>
#include <tessera/graph.hpp>
#include <tessera/runtime.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {
// Volatile, so that the compiler cannot see the crash coming and drop it.
int* volatile null_pointer = nullptr;
volatile int one = 1, zero = 0;  // 1 / x alone compiles to a comparison

[[gnu::noinline]] int recurse(int depth) {
  if (depth == 1 << 30) return 0;  // never: the stack ends long before
  volatile char frame[4096];
  frame[depth % sizeof frame] = static_cast<char>(depth);
  return recurse(depth + 1) + frame[0];  // not a tail call: every frame stays
}

int crash(const std::string& how) {
  if (how == "segv") return *null_pointer;
  if (how == "abort") std::abort();
  if (how == "fpe") return one / zero;
  if (how == "overflow") return recurse(0);
  std::fprintf(stderr, "crash_task: unknown crash '%s'\n", how.c_str());
  std::exit(2);
}
}  // namespace

int main(int argc, char** argv) {
  tessera::Runtime runtime(argc, argv);
  const std::string how = argc > 1 ? argv[1] : "segv";
  tessera::Graph graph;
  std::vector<tessera::Key> outputs;
  for (int i = 0; i < 4; ++i) {
    tessera::Key key("crash", {i});
    const auto id = graph.add_task(key, [how, i] { return i == 3 ? crash(how) : i; });
    graph.restrict_to_rank(id, i == 3 ? runtime.size() - 1 : 0);
    outputs.push_back(key);
  }
  tessera::compute(graph, outputs);
  std::printf("rank %d: no task crashed\n", runtime.rank());
  return 0;
}
