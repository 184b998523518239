#pragma once
// The scheduler's Network without MPI: N ranks are N threads of one process,
// each with its own mailbox. For tests (and ThreadSanitizer, which cannot
// see across MPI processes): the distributed scheduler runs unchanged.
//
//     LoopbackCluster cluster(4, 2);            // 4 ranks of 2 worker threads
//     std::vector<std::thread> ranks;
//     for (int r = 0; r < 4; ++r) ranks.emplace_back([&, r] {
//       ThreadPool pool(2 + 1);                 // a pool per rank: ranks run at once
//       run_distributed(graph_of_rank(r), outputs, options, cluster.network(r), false, &pool);
//     });
//
// Values pass by handle (a Value is immutable), not encoded; types that
// cannot travel still fail as they would between processes, and
// value_bytes_received counts what MPI would have carried.
#include "schedule/network.hpp"

#include <memory>
#include <vector>

namespace tessera::schedule {

class LoopbackCluster {
 public:
  LoopbackCluster(int ranks, unsigned threads_per_rank);
  ~LoopbackCluster();
  LoopbackCluster(const LoopbackCluster&) = delete;
  LoopbackCluster& operator=(const LoopbackCluster&) = delete;

  int size() const { return static_cast<int>(networks_.size()); }
  /// Rank `rank`'s network: only that rank's thread uses it (its collective
  /// calls wait for the other ranks').
  Network& network(int rank) { return *networks_[static_cast<std::size_t>(rank)]; }

 private:
  std::vector<std::unique_ptr<Network>> networks_;
};

}  // namespace tessera::schedule
