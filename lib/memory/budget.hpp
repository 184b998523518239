#pragma once
// This rank's memory budget (include/tessera/memory.hpp): the bytes it holds,
// their peak, the limit and spill target, and the spill directory. One per
// process, shared by every run on it (compute() and the futures runner).
#include <tessera/memory.hpp>

#include "memory/spill_directory.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>
#include <cstdint>
#include <string>

namespace tessera::memory {

/// Raises `peak` to `value` if that is higher (from any thread).
template <class T>
void raise_peak(std::atomic<T>& peak, T value) {
  T seen = peak.load(std::memory_order_relaxed);
  while (value > seen && !peak.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

/// Unmaps cached Buffer blocks until the rank's tracked bytes plus the cache
/// fit its limit (buffer.cpp).
void trim_buffer_cache();

/// Something that holds spillable results (a run's ResultStore).
class Spiller {
 public:
  virtual ~Spiller() = default;
  /// Spills its least recently used unused results until the rank is under its target.
  virtual void spill_until_under_target() = 0;
};

class Budget {
 public:
  /// The process's budget, configured from the environment on first use.
  static Budget& instance();

  /// The ranks sharing this node and this rank's number (from the runtime):
  /// the default limit is the node's RAM divided among them.
  void set_placement(int ranks_on_node, int rank);
  void configure(const MemoryOptions& options);

  std::uint64_t limit() const { return limit_.load(std::memory_order_relaxed); }
  std::uint64_t target() const { return target_.load(std::memory_order_relaxed); }
  bool force_spill() const { return force_spill_.load(std::memory_order_relaxed); }
  int rank() const { return rank_.load(std::memory_order_relaxed); }

  void add(std::uint64_t bytes) {
    const auto now = tracked_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
    raise_peak(peak_, now);
    // Freed Buffer blocks kept for reuse give way to what the rank counts.
    const auto cached = cached_.load(std::memory_order_relaxed);
    if (cached > 0 && now + cached > limit()) trim_buffer_cache();
  }
  void sub(std::uint64_t bytes) { tracked_.fetch_sub(bytes, std::memory_order_relaxed); }
  std::uint64_t tracked() const { return tracked_.load(std::memory_order_relaxed); }
  /// Bytes held above the spill target (everything, when spilling is forced).
  std::uint64_t excess() const {
    const auto now = tracked();
    const auto t = force_spill() ? 0 : target();
    return now > t ? now - t : 0;
  }

  void note_spilled(std::uint64_t bytes) {
    spilled_now_.fetch_add(bytes, std::memory_order_relaxed);
    spilled_total_.fetch_add(bytes, std::memory_order_relaxed);
  }
  void note_unspilled(std::uint64_t bytes) { unspilled_total_.fetch_add(bytes, std::memory_order_relaxed); }
  void note_spill_removed(std::uint64_t bytes) { spilled_now_.fetch_sub(bytes, std::memory_order_relaxed); }

  /// The bytes of freed Buffer blocks kept for reuse (buffer.cpp), not counted in tracked().
  void note_cached(std::uint64_t bytes) { cached_.store(bytes, std::memory_order_relaxed); }
  std::uint64_t cached() const { return cached_.load(std::memory_order_relaxed); }

  std::uint64_t spilled_now() const { return spilled_now_.load(std::memory_order_relaxed); }
  SpillDirectory& spill() { return spill_; }

  /// The result holders that make_room() asks to spill.
  void add_spiller(Spiller* spiller);
  void remove_spiller(Spiller* spiller);
  /// Memory counted by something other than a result (a receive buffer, a
  /// task's TrackedAllocation) took the rank over its target: spill results
  /// now, before that memory fills up, rather than at the next result stored.
  void make_room();
  MemoryStatus status() const;
  void reset_peak() { peak_.store(tracked(), std::memory_order_relaxed); }
  /// Prints a one-line warning to stderr, prefixed with the rank.
  void warn(const std::string& message) const;

 private:
  Budget();

  std::atomic<std::uint64_t> limit_{0}, target_{0};
  std::atomic<bool> force_spill_{false};
  std::atomic<int> ranks_on_node_{1}, rank_{0};
  std::atomic<std::uint64_t> tracked_{0}, peak_{0}, cached_{0};
  std::atomic<std::uint64_t> spilled_now_{0}, spilled_total_{0}, unspilled_total_{0};
  MemoryOptions options_;  // as configured, before defaults
  std::mutex spillers_mutex_;  // held while a spiller runs, so none goes away under it
  std::vector<Spiller*> spillers_;
  SpillDirectory spill_;
};

/// The node's RAM (the cgroup's limit when lower), in bytes.
std::uint64_t node_memory();
/// The process's peak resident memory so far (VmHWM), 0 where unknown.
std::uint64_t peak_rss();

}  // namespace tessera::memory
