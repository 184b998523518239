#include "schedule/placement.hpp"

#include "graph/derived.hpp"

#include <tessera/exchange.hpp>

#include <algorithm>

namespace tessera::schedule {
namespace {

constexpr unsigned slots_per_thread = 8;
// A task with this many input bytes on a rank whose slots are full waits for
// one there rather than go to another busy rank: sending a 134 MB chunk
// took 15-22 ms on both ranks, four times the 4 ms a pass over it takes,
// and W2's persisted passes sent one to three chunks a run that way.
constexpr std::uint64_t stay_with_bytes = 8ull << 20;
constexpr int set_above_ranks = 32;  // above this many ranks, free ranks are kept sorted

}  // namespace

Placement::Placement(const Graph& graph, const std::vector<unsigned>& threads_per_rank)
    : graph_(graph),
      threads_(threads_per_rank),
      ranks_(static_cast<int>(threads_per_rank.size())),
      dependents_(graph::dependents_of(graph)) {
  const std::size_t n = graph.size();
  home_.assign(n, 0);
  int next_home = 0;
  for (NodeId id = 0; id < n; ++id) {
    if (graph_.node(id).is_data() || !graph_.deps(id).empty()) continue;
    home_[id] = next_home;
    next_home = next_home + 1 == ranks_ ? 0 : next_home + 1;
  }
  // A reader of an exchange's part runs where the part's pieces were sent.
  for (NodeId id = 0; id < n; ++id) {
    const std::int64_t part = graph_.node(id).exchange_part;
    if (part < 0) continue;
    for (NodeId dep : graph_.deps(id)) {
      if (const std::int64_t parts = graph_.node(dep).exchange_parts; parts > 0) {
        if (owner_.empty()) owner_.assign(n, -1);
        owner_[id] = exchange_owner(part, parts, ranks_);
        break;
      }
    }
  }
  load_.assign(ranks_, 0);
  capacity_.resize(ranks_);
  for (int r = 0; r < ranks_; ++r) capacity_[r] = std::max(2u, slots_per_thread * threads_[r]);
  bytes_on_.assign(ranks_, 0);
  if (ranks_ > set_above_ranks) {
    for (int r = 0; r < ranks_; ++r) free_ranks_.insert({0.0, r});
  }
  ranks_with_free_slots_ = ranks_;
}

// Where `task` should run: among ranks with a free slot, the one with most
// of its input bytes (or preferred by its annotations, weighted by its
// expected size), else the least loaded; -1 if none is free, or if 8 MiB
// or more of its inputs are on a full rank and the alternative is busy too
// (stay_with_bytes). Only ranks
// that hold an input or are preferred can beat the least loaded one, so
// this costs O(inputs + log ranks), not O(ranks).
int Placement::place(NodeId task, std::span<const std::vector<int>> holders, std::span<const std::uint64_t> nbytes,
                     int& waits_for) {
  const TaskAnnotations& hints = graph_.node(task).annotations;
  const int owner = owner_.empty() ? -1 : owner_[task];
  if (int only = owner >= 0 ? owner : hints.restricted_to; only >= 0) {
    if (load_[only] < capacity_[only]) return only;
    waits_for = only;
    return -1;
  }
  auto credit = [&](int r, std::uint64_t bytes) {
    if (r < 0 || r >= ranks_ || bytes == 0) return;
    if (bytes_on_[r] == 0) candidates_.push_back(r);
    bytes_on_[r] += bytes;
  };
  for (NodeId dep : graph_.deps(task)) {
    // An input read by more tasks than there are ranks (a broadcast join's
    // small side, an array's row means) is copied once to each rank that
    // runs them: the copy costs its bytes once per rank and serves readers /
    // ranks tasks, so it should not draw them all to where it was made.
    const std::size_t readers = dependents_->of(dep).size();
    const std::uint64_t bytes = readers > static_cast<std::size_t>(ranks_)
                                    ? std::max<std::uint64_t>(1, nbytes[dep] * static_cast<std::uint64_t>(ranks_) / readers)
                                    : nbytes[dep];
    for (int r : holders[dep]) credit(r, bytes);
  }
  for (int r : hints.preferred_ranks) credit(r, std::max<std::uint64_t>(hints.expected_bytes, 1));
  int best = -1, full = -1;  // full: the rank without a free slot that holds the most input bytes
  std::uint64_t on_full = 0;
  for (int r : candidates_) {
    if (load_[r] >= capacity_[r]) {
      if (bytes_on_[r] > on_full) on_full = bytes_on_[r], full = r;
      continue;
    }
    if (best < 0 || bytes_on_[r] > bytes_on_[best] || (bytes_on_[r] == bytes_on_[best] && less_loaded(r, best))) {
      best = r;
    }
  }
  const std::uint64_t on_best = best >= 0 ? bytes_on_[best] : 0;
  for (int r : candidates_) bytes_on_[r] = 0;
  candidates_.clear();
  const int chosen = best >= 0 ? best : least_loaded();
  // Most of its bytes are on a full rank: wait for a slot there, unless
  // `chosen` has nothing to do (then moving them beats idling).
  if (on_full >= stay_with_bytes && on_full > on_best && (chosen < 0 || load_[chosen] > 0)) {
    waits_for = full;
    return -1;
  }
  return chosen;
}

// The free rank with the lowest load over capacity (lowest number on a tie).
// A scan is cheaper than keeping a sorted set up to a few dozen ranks.
int Placement::least_loaded() const {
  if (ranks_ > set_above_ranks) return free_ranks_.empty() ? -1 : free_ranks_.begin()->second;
  int best = -1;
  for (int r = 0; r < ranks_; ++r) {
    if (load_[r] < capacity_[r] && (best < 0 || less_loaded(r, best))) best = r;
  }
  return best;
}

// Lower load over capacity, then the lower rank number.
bool Placement::less_loaded(int a, int b) const {
  const auto left = std::uint64_t{load_[a]} * capacity_[b], right = std::uint64_t{load_[b]} * capacity_[a];
  return left < right || (left == right && a < b);
}

// Keeps free_ranks_ (ranks with a free slot, least loaded first) in step with load_.
void Placement::set_load(int r, unsigned load) {
  const bool was_free = load_[r] < capacity_[r];
  if (ranks_ > set_above_ranks && was_free) free_ranks_.erase({load_ratio(r), r});
  load_[r] = load;
  const bool free = load_[r] < capacity_[r];
  if (ranks_ > set_above_ranks && free) free_ranks_.insert({load_ratio(r), r});
  ranks_with_free_slots_ += static_cast<int>(free) - static_cast<int>(was_free);
}

void Placement::finished(int rank, NodeId task, std::uint64_t nbytes) {
  set_load(rank, load_[rank] - 1);
  if (is_root(task)) {
    ++roots_done_;
    root_bytes_done_ += nbytes;
  }
}

// Root tasks (no task inputs: HDF5 reads, creations) whose results are
// large are queued on a rank only up to its threads + 1, so that their
// consumers run and free them before more roots start: with 8 slots a
// thread, two ranks had read 16 of 24 chunks of 128 MiB before the first
// reduction ran (1 GiB held per rank instead of 256 MiB, and spilling under
// a 1 GiB limit). "Large" is unknown until a root finished, then >= 1 MiB on
// average; small roots (a map of many quick tasks) are not held back.
bool Placement::is_root(NodeId task) const { return graph::is_root(graph_, task); }

bool Placement::holding_roots_back() const {
  return roots_done_ == 0 || root_bytes_done_ >= roots_done_ * (std::uint64_t{1} << 20);
}

// Roots held back earlier compete again by priority, as many as there is
// room for (all of them once roots turn out small).
std::size_t Placement::held_roots_to_admit(std::size_t held) const {
  if (!holding_roots_back()) return held;
  std::size_t room = 0;
  for (int r = 0; r < ranks_; ++r) {
    const unsigned cap = threads_[r] + 1;
    room += load_[r] < cap ? cap - load_[r] : 0;
  }
  return room;
}

Placement::Decision Placement::decide(NodeId task, std::span<const std::vector<int>> holders,
                                      std::span<const std::uint64_t> nbytes) {
  int waits_for = -1;
  int rank = place(task, holders, nbytes, waits_for);
  const TaskAnnotations& hints = graph_.node(task).annotations;
  if (holding_roots_back() && graph_.deps(task).empty() && hints.restricted_to < 0 && hints.preferred_ranks.empty()) {
    // A large root with nothing to say where: its home rank, round robin
    // over the roots in graph order (a layer's blocks in C order), so a
    // persisted array ends up spread evenly and later passes over it
    // share the work; it waits for room there.
    // A rank with nothing to do takes it rather than idle while the home is busy.
    int home = home_[task];
    if (!root_room(home) || load_[home] >= capacity_[home]) {
      const int idle = least_loaded();
      if (idle < 0 || load_[idle] != 0) return {Decision::Action::hold};
      home = idle;
    }
    rank = home;
  } else if (rank >= 0 && holding_roots_back() && !root_room(rank) && is_root(task) && hints.restricted_to < 0) {
    const int other = least_loaded();
    if (!root_room(other)) return {Decision::Action::hold};
    rank = other;
  }
  if (rank < 0) return {Decision::Action::defer, waits_for};
  return {Decision::Action::run, rank};
}

}  // namespace tessera::schedule
