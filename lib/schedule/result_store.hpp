#pragma once
// The results one run holds on this rank, kept within the rank's memory
// budget (DESIGN.md §4).
//
// Every result is counted at its exact nbytes(). When the rank holds more
// than its spill target, the thread that stored or read back the result
// that crossed it spills the least recently used results that nobody uses
// (the store's handle is their only one) until the rank is under the target
// again: their bytes go to a spill file and the memory is freed. A later
// get() reads a spilled result back. Spill I/O happens outside every lock,
// so other workers run on; a second thread that crosses the target while a
// spill is under way waits for it, which keeps producers from outrunning
// the disk. Memory counted elsewhere (a receive buffer, a task's
// TrackedAllocation) that crosses the target spills through the budget's
// make_room(), which calls every live store and the persisted values'
// store; so does a result stored here that this store alone cannot make room
// for. A spilled result keeps its file until it is erased, so a result used
// again is spilled a second time for free.
//
// A persisted result (a data node of a PersistedValue, or an output of a
// persist run) is held through its PersistedValue: the process's
// PersistedStore counts and spills it, and get() reads it back through it.
//
// Locks: each slot is guarded by one of `stripes` mutexes (by id); the list
// of spill candidates by its own; one thread spills at a time.
#include <tessera/graph.hpp>
#include <tessera/persisted.hpp>

#include "memory/budget.hpp"
#include "memory/spilled_value.hpp"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace tessera::schedule {

class ResultStore final : public memory::Spiller {
 public:
  explicit ResultStore(const Graph& graph);
  ~ResultStore() override;
  ResultStore(const ResultStore&) = delete;
  ResultStore& operator=(const ResultStore&) = delete;

  /// Holds `value` as node `id`'s result; may spill others (MemoryError when it cannot).
  /// Unspillable values (graph literals, types that cannot travel) stay in memory.
  void put(NodeId id, Value value, bool spillable = true);
  /// Holds a persisted result as node `id`'s: counted and spilled by the
  /// PersistedStore, not here.
  void put_persisted(NodeId id, PersistedValue value);
  /// Node `id`'s result as a persisted one: its PersistedValue, or the value
  /// (read back if spilled) held as a new one.
  PersistedValue persisted(NodeId id);
  /// The result, read back from disk if it was spilled. Holding the returned
  /// handle keeps the result from being spilled.
  Value get(NodeId id);
  bool has(NodeId id) const;
  std::uint64_t nbytes(NodeId id) const;
  /// Frees the result (and its spill file).
  void erase(NodeId id);

  std::size_t peak_live_results() const { return peak_live_.load(std::memory_order_relaxed); }
  std::uint64_t peak_live_bytes() const { return peak_bytes_.load(std::memory_order_relaxed); }
  std::uint64_t spilled_bytes() const { return spilled_.load(std::memory_order_relaxed); }
  std::uint64_t unspilled_bytes() const { return unspilled_.load(std::memory_order_relaxed); }

  void spill_until_under_target() override;

 private:
  enum class State : std::uint8_t { empty, resident, evicting, spilled, loading, persisted };
  struct Slot {
    Value value;
    PersistedValue persisted;  // State::persisted: the value is held there
    std::uint64_t nbytes = 0;
    std::uint32_t last_use = 0;
    State state = State::empty;
    bool spillable = false;
    bool on_disk = false;  // a spill file holds it, also while it is resident again
    bool erased = false;   // erased during a spill or read-back: the I/O side finishes the job
  };
  struct alignas(64) Stripe {
    std::mutex mutex;
    std::condition_variable changed;
  };
  static constexpr std::size_t stripes = 64;

  Stripe& stripe(NodeId id) const { return stripes_[id % stripes]; }
  void make_room();
  void add_candidate(NodeId id);
  std::vector<NodeId> claim_victims(std::uint64_t bytes);
  void spill(NodeId id);
  Value read_back(NodeId id, std::unique_lock<std::mutex>& lock);
  void give_back(NodeId id);
  void drop_file(NodeId id);
  void count_live(std::ptrdiff_t results, std::int64_t bytes);
  std::string name(NodeId id) const;

  const Graph& graph_;
  std::vector<Slot> slots_;
  std::unique_ptr<Stripe[]> stripes_;
  std::atomic<std::uint32_t> clock_{0};

  std::mutex candidates_mutex_;
  std::vector<NodeId> candidates_;  // resident and spillable, maybe stale
  std::mutex spill_mutex_;          // one spiller at a time
  std::mutex files_mutex_;
  std::unordered_map<NodeId, memory::SpilledValue> files_;

  std::atomic<std::int64_t> live_{0}, live_bytes_{0};
  std::atomic<std::size_t> peak_live_{0};
  std::atomic<std::uint64_t> peak_bytes_{0}, spilled_{0}, unspilled_{0};
};

}  // namespace tessera::schedule
