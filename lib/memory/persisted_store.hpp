#pragma once
// The persisted values of this process (include/tessera/persisted.hpp),
// kept within the rank's memory budget like a run's results (DESIGN.md §4).
//
// Each value is an entry, shared by the PersistedValues that refer to it and
// counted at its nbytes() while it is in memory. When the rank holds more
// than its target, the thread that crossed it (a run storing a result, a
// read-back, a receive buffer through the budget's make_room()) spills the
// least recently used entries that nobody uses (the entry's handle to the
// value is its only one) to the spill file; get() reads them back. An entry
// keeps its disk copy until it goes, so spilling it again is free. The entry,
// its bytes and its extent of the spill file go with the last PersistedValue.
//
// Locks: each entry has its own; the list of spill candidates (weak, so that
// it keeps no entry alive) has one; one thread spills at a time. Spill I/O
// happens outside every lock but the spill lock.
#include <tessera/persisted.hpp>

#include "memory/budget.hpp"
#include "memory/spilled_value.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tessera::detail {

class PersistedEntry {
 public:
  enum class State : std::uint8_t { resident, evicting, spilled, loading };
  PersistedEntry(Value v, std::string what, bool can_spill)
      : value(std::move(v)), nbytes(value.nbytes()), name(std::move(what)), spillable(can_spill) {}
  ~PersistedEntry();
  PersistedEntry(const PersistedEntry&) = delete;
  PersistedEntry& operator=(const PersistedEntry&) = delete;

  std::mutex mutex;
  std::condition_variable changed;
  Value value;  // while resident (or being spilled)
  const std::uint64_t nbytes;
  const std::string name;
  const bool spillable;
  State state = State::resident;
  std::optional<memory::SpilledValue> file;  // its disk copy, also while resident again
  std::uint32_t last_use = 0;
};

}  // namespace tessera::detail

namespace tessera::memory {

class PersistedStore final : public Spiller {
 public:
  using Entry = detail::PersistedEntry;
  using EntryPtr = std::shared_ptr<Entry>;

  /// The process's store, registered with its budget (never destroyed).
  static PersistedStore& instance();

  /// Counts `value` against the budget as a new entry; may spill others.
  EntryPtr hold(Value value, std::string name);
  /// The entry's value, read back if it was spilled; holding it keeps it in memory.
  Value get(const EntryPtr& entry);

  void spill_until_under_target() override;

 private:
  PersistedStore();
  void make_room();
  void add_candidate(const EntryPtr& entry);
  std::vector<EntryPtr> claim_victims(std::uint64_t bytes);
  void spill(const EntryPtr& entry);
  void give_back(const EntryPtr& entry);
  Value read_back(const EntryPtr& entry, std::unique_lock<std::mutex>& lock);
  std::uint32_t tick() { return clock_.fetch_add(1, std::memory_order_relaxed); }

  std::atomic<std::uint32_t> clock_{0};
  std::mutex candidates_mutex_;
  std::vector<std::weak_ptr<Entry>> candidates_;  // maybe stale, maybe twice
  std::size_t prune_at_ = 64;
  std::mutex spill_mutex_;  // one spiller at a time
};

}  // namespace tessera::memory
