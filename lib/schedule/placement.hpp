#pragma once
// Rank 0's placement policy for a distributed compute(): which rank a ready
// task runs on. A rank has `slots_per_thread` slots per worker thread, so that
// assignments and completions travel in batches while no rank takes on much
// more than it can run. A task goes to the rank with a free slot that holds
// most of its input bytes (or is preferred by its annotations), else to the
// least loaded rank with one; an input that more tasks than ranks read
// counts its bytes shared among them (it will be copied to the ranks that
// want it once, not once per task). Large roots are held back (see
// holding_roots_back). The run (distributed_executor.cpp) owns the ready
// queue and the holders of every result; this class owns the loads.
#include "graph/dependents.hpp"

#include <tessera/graph.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <set>
#include <span>
#include <utility>
#include <vector>

namespace tessera::schedule {

class Placement {
 public:
  /// What to do with a ready task now.
  struct Decision {
    enum class Action {
      run,    // assign it to `rank`
      hold,   // a large root without room: hold it back until there is some
      defer,  // it waits for a slot on `rank` (restricted there, or its large inputs are): let the others pass
    } action;
    int rank = -1;
  };

  Placement(const Graph& graph, const std::vector<unsigned>& threads_per_rank);

  /// Where `task` goes, given where every result is (`holders`, rank -1:
  /// everywhere) and its size (`nbytes`).
  Decision decide(NodeId task, std::span<const std::vector<int>> holders, std::span<const std::uint64_t> nbytes);
  /// How many of `held` held-back roots may compete again now.
  std::size_t held_roots_to_admit(std::size_t held) const;
  bool any_free_slot() const { return ranks_with_free_slots_ > 0; }
  std::size_t free_slots(int rank) const { return load_[rank] < capacity_[rank] ? capacity_[rank] - load_[rank] : 0; }
  /// Some rank has nothing assigned (it may take a task away from its inputs).
  bool any_idle_rank() const { return std::find(load_.begin(), load_.end(), 0u) != load_.end(); }

  void assigned(int rank) { set_load(rank, load_[rank] + 1); }
  /// No task assigned anywhere is unfinished.
  bool idle() const { return std::all_of(load_.begin(), load_.end(), [](unsigned l) { return l == 0; }); }
  /// `task` finished on `rank` with a result of `nbytes`.
  void finished(int rank, NodeId task, std::uint64_t nbytes);

 private:
  /// -1 when it should wait, with `waits_for` the full rank it waits for.
  int place(NodeId task, std::span<const std::vector<int>> holders, std::span<const std::uint64_t> nbytes,
            int& waits_for);
  int least_loaded() const;
  bool less_loaded(int a, int b) const;
  double load_ratio(int r) const { return static_cast<double>(load_[r]) / capacity_[r]; }
  void set_load(int r, unsigned load);
  bool is_root(NodeId task) const;
  bool holding_roots_back() const;
  bool root_room(int r) const { return r >= 0 && load_[r] < threads_[r] + 1; }

  const Graph& graph_;
  const std::vector<unsigned> threads_;  // worker threads per rank
  const int ranks_;
  std::vector<unsigned> load_, capacity_;
  int ranks_with_free_slots_ = 0;
  std::set<std::pair<double, int>> free_ranks_;  // ranks with a free slot, by load over capacity
  std::vector<std::uint64_t> bytes_on_;          // place(): input bytes per rank, zero between calls
  std::vector<int> candidates_;                  // place(): ranks credited with bytes
  std::uint64_t roots_done_ = 0, root_bytes_done_ = 0;
  std::vector<int> home_;  // per task without inputs: the rank it goes to while roots are large
  std::vector<int> owner_;  // per reader of an exchange's part: the part's rank (empty without exchanges)
  std::shared_ptr<const graph::Dependents> dependents_;  // the graph's, kept with it (graph/derived.hpp)
};

}  // namespace tessera::schedule
