#pragma once
#include "schedule/run_state.hpp"

namespace tessera::schedule {

/// One task at a time, in the graph's order, on the calling thread.
void run_sync(RunState& state);

/// A work-stealing pool of `threads` workers.
void run_threads(RunState& state, unsigned threads);

}  // namespace tessera::schedule
