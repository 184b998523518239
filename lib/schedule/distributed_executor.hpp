#pragma once
#include "schedule/network.hpp"

#include <tessera/compute.hpp>

namespace tessera::schedule {

/// Runs `graph` across the ranks of `network`; collective. With `persist`
/// the outputs stay on their holders, else every rank receives every output.
std::vector<PersistedResult> run_distributed(const Graph& graph, std::span<const NodeId> outputs,
                                             const ComputeOptions& options, Network& network, bool persist);

}  // namespace tessera::schedule
