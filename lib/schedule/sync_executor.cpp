// The synchronous scheduler: the order from graph/order.cpp is topological,
// so running the nodes in it needs no ready queue at all. Deterministic, and
// the baseline the other schedulers are tested against.
#include "schedule/executors.hpp"

namespace tessera::schedule {

void run_sync(RunState& state) {
  std::int64_t chain = 0;  // nothing but this loop runs between two tasks: one clock read each when recording
  for (NodeId id : state.sequence()) {
    if (!state.execute(id, &chain)) break;  // the first error stops the run
  }
  state.rethrow_if_failed();
}

}  // namespace tessera::schedule
