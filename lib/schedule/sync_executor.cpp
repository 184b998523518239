// The synchronous scheduler: the order from graph/order.cpp is topological,
// so running the nodes in it needs no ready queue at all. Deterministic, and
// the baseline the other schedulers are tested against.
#include "schedule/executors.hpp"

namespace tessera::schedule {

void run_sync(RunState& state) {
  for (NodeId id : state.sequence()) {
    if (!state.execute(id)) break;  // the first error stops the run
  }
  state.rethrow_if_failed();
}

}  // namespace tessera::schedule
