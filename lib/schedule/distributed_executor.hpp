#pragma once
#include "schedule/network.hpp"

#include <tessera/compute.hpp>

namespace tessera::schedule {

class ThreadPool;

/// Runs `graph` across the ranks of `network`; collective. With `persist`
/// the outputs stay on their holders, else every rank receives every output.
/// Tasks run on `pool` (the process's shared pool when null).
struct DistributedOutputs {
  std::vector<Value> values;               // compute: every output, on every rank
  std::vector<PersistedResult> persisted;  // persist: each output's holder and size, its value on its holder
};
DistributedOutputs run_distributed(const Graph& graph, std::span<const NodeId> outputs,
                                   const ComputeOptions& options, Network& network, bool persist,
                                   ThreadPool* pool = nullptr);

}  // namespace tessera::schedule
