#pragma once
// persist() with a checkpoint directory (include/tessera/checkpoint.hpp) is
// a persist() of another graph: each output found checkpointed becomes a
// task that reads it (and what only it needed is dropped), each other output
// writes itself there once computed. Rank 0 reads the directory and every
// rank builds the same graph from what it says, so the run itself is an
// ordinary persist() and the schedulers know nothing of checkpoints.
#include "memory/checkpoint_files.hpp"
#include "schedule/network.hpp"

#include <tessera/graph.hpp>

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace tessera::schedule {

struct CheckpointedGraph {
  Graph graph;
  std::vector<NodeId> outputs;                     // the outputs' nodes in `graph`, in order
  std::shared_ptr<memory::CheckpointWriter> writer;  // this rank's files
};

/// Collective over `network` when given (rank 0 reads the directory, every
/// rank gets its verdict); Error on every rank when the checkpoint belongs
/// to another graph.
CheckpointedGraph plan_checkpoint(const Graph& graph, std::span<const NodeId> outputs, const std::string& directory,
                                  Network* network);

/// A hash of everything a result is computed from: its key and literal,
/// and its dependencies' fingerprints, all the way down (not where it runs).
std::vector<std::uint64_t> result_fingerprints(const Graph& graph, std::span<const NodeId> outputs);

}  // namespace tessera::schedule
