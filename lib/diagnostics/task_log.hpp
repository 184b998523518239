#pragma once
// Task records (include/tessera/diagnostics.hpp): what every executed task
// and every transfer did, kept per thread without locks while a Profile
// records. Each thread appends to its own log; a reader (the Profile, between
// computes) sees every record the thread has published. Off, a run pays one
// relaxed load per run.
#include <tessera/key.hpp>

#include "memory/spill_counters.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <new>
#include <memory>
#include <string>
#include <vector>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace tessera::diagnostics {

using Nanoseconds = std::int64_t;

/// What records are timed in: the CPU's time-stamp counter where it runs at a
/// constant rate on every core (x86's invariant TSC), else the steady clock's
/// nanoseconds. Reading the counter costs 11 ns on this VM, the kvm-clock
/// behind clock_gettime 26 ns, and a task reads it twice; TickScale turns
/// ticks into nanoseconds when the records are read.
using Ticks = std::int64_t;
extern const bool ticks_are_tsc;
inline Ticks now() {
#if defined(__x86_64__)
  if (ticks_are_tsc) return static_cast<Ticks>(__rdtsc());
#endif
  return memory::steady_ns();
}

/// Ticks to the steady clock's nanoseconds, from a reading of both at two
/// moments (the counter's rate is constant, so the map is a line).
class TickScale {
 public:
  struct Reading {
    Ticks ticks;
    Nanoseconds steady;
  };
  /// The counter between two steady-clock reads that lie within 2 µs of
  /// each other (a thread preempted in between would skew the line), taken
  /// at their midpoint.
  static Reading read() {
    for (int attempt = 0;; ++attempt) {
      const Nanoseconds before = memory::steady_ns();
      const Ticks ticks = now();
      const Nanoseconds after = memory::steady_ns();
      if (after - before < 2000 || attempt == 100) return {ticks, before + (after - before) / 2};
    }
  }
  TickScale(Reading first, Reading last);
  Nanoseconds operator()(Ticks t) const {
    return first_.steady + static_cast<Nanoseconds>(static_cast<double>(t - first_.ticks) * ns_per_tick_);
  }

 private:
  Reading first_;
  double ns_per_tick_ = 1;
};

struct TaskExtra;

/// One task, in 64 bytes: recording a task costs little memory to touch,
/// which on a VM is most of its price. What most tasks lack is in TaskExtra.
struct alignas(64) TaskRecord {  // a cache line each: a record never straddles two
  static constexpr std::size_t short_key = 3;  // indices kept here; a longer key is in the extra
  KeyName name;
  std::uint32_t index_count = 0;
  std::uint64_t token = 0;
  std::int64_t index[short_key] = {};
  Ticks start = 0, end = 0;
  std::uint64_t output_bytes = 0;

  /// Its key; `extra` is the task's extra, if it has one.
  Key key(const TaskExtra* extra) const;
};
static_assert(sizeof(TaskRecord) == 64);

/// The rest of a task's record, for tasks that fetched inputs, spilled,
/// failed or have a long key.
struct TaskExtra {
  std::size_t task = 0;             // the TaskRecord's position in its thread's log
  Key key;                          // when it has more than TaskRecord::short_key indices
  std::uint64_t fetched_bytes = 0;  // inputs received from other ranks
  int fetched_from = -1;            // the rank that sent most of them, -1: none
  std::uint64_t spill_written = 0, spill_read = 0, spill_ns = 0;  // during the task, on its thread
  std::string error;                // empty unless the task threw
};

/// One result moving between ranks, as one side saw it.
struct TransferRecord {
  Key key;
  int from = 0, to = 0;
  std::uint64_t bytes = 0;
  Ticks start = 0, end = 0;
  bool outgoing = false;  // recorded by the sender; else by the receiver
};

/// One compute() or persist() on this rank: its span, and its tasks by key name (by KeyName::id).
struct RunRecord {
  Ticks start = 0, end = 0;
  std::map<std::uint32_t, std::pair<KeyName, std::uint64_t>> tasks_by_name;
};

/// Memory for a log's blocks: 2 MiB, on a huge page where the kernel allows,
/// touched when a Profile starts and reused by the next, so that a run
/// rarely pays for fresh pages while it records.
constexpr std::size_t log_block_bytes = std::size_t{2} << 20;
void* allocate_log_block();
void free_log_block(void* block) noexcept;

/// Appended by one thread, read by others: a list of blocks whose published
/// length only grows, so a reader never sees a record half written.
template <class T>
class AppendLog {
 public:
  AppendLog() = default;
  AppendLog(const AppendLog&) = delete;
  AppendLog& operator=(const AppendLog&) = delete;
  ~AppendLog() { clear(); }

  T& next() {  // the writer fills it, then publish()es
    if (!tail_ || tail_used_ == per_block) {
      auto* block = new (allocate_log_block()) Block;
      if (tail_) tail_->next.store(block, std::memory_order_release);
      else head_.store(block, std::memory_order_release);
      tail_ = block;
      tail_used_ = 0;
    }
    return *new (&tail_->items()[tail_used_]) T();
  }
  void publish() {
    ++tail_used_;
    size_.store(size_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
  template <class Fn>
  void for_each(Fn&& fn) const {
    std::size_t left = size_.load(std::memory_order_acquire);
    for (Block* b = head_.load(std::memory_order_acquire); b && left; b = b->next.load(std::memory_order_acquire)) {
      const std::size_t n = left < per_block ? left : per_block;
      for (std::size_t i = 0; i < n; ++i) fn(b->items()[i]);
      left -= n;
    }
  }
  std::size_t size() const { return size_.load(std::memory_order_acquire); }
  /// Only while nobody appends.
  void clear() {
    std::size_t left = size_.load();
    for (Block* b = head_.load(); b;) {
      const std::size_t n = left < per_block ? left : per_block;
      for (std::size_t i = 0; i < n; ++i) b->items()[i].~T();
      left -= n;
      Block* next = b->next.load();
      b->~Block();
      free_log_block(b);
      b = next;
    }
    head_.store(nullptr);
    tail_ = nullptr;
    tail_used_ = 0;
    size_.store(0);
  }

 private:
  struct Block {
    std::atomic<Block*> next{nullptr};
    T* items() { return reinterpret_cast<T*>(reinterpret_cast<char*>(this) + items_offset); }
  };
  static constexpr std::size_t items_offset = (sizeof(Block) + alignof(T) - 1) / alignof(T) * alignof(T);
  static constexpr std::size_t per_block = (log_block_bytes - items_offset) / sizeof(T);
  std::atomic<Block*> head_{nullptr};
  Block* tail_ = nullptr;  // the writer's
  std::size_t tail_used_ = 0;
  std::atomic<std::size_t> size_{0};
};

struct alignas(64) ThreadLog {  // its own cache lines: two workers' logs never share one
  unsigned id = 0;             // in the order threads first recorded
  std::atomic<bool> scheduler{false};  // the distributed progress thread (else a worker)
  AppendLog<TaskRecord> tasks;
  AppendLog<TaskExtra> extras;  // in task order
  AppendLog<TransferRecord> transfers;
};

/// Whether records are being taken; runs read it once, when they start.
bool recording();
/// Starts taking records after dropping every earlier one (between computes only).
void start_recording();
void stop_recording();
/// This thread's log, made on its first use.
ThreadLog& this_thread_log();
/// Every thread's log, for reading between computes.
void for_each_log(const std::function<void(const ThreadLog&)>& fn);
void add_run(RunRecord run);
std::vector<RunRecord> runs();

/// Times one task when recording: the start, and the thread's spill counters then.
class TaskClock {
 public:
  /// `started`: when the task began if the caller knows (the end of the
  /// task before it on this thread, with nothing between), else 0.
  explicit TaskClock(bool on, Ticks started = 0) {
    if (on) {
      spills_ = memory::this_thread_spills();
      start_ = started ? started : now();
    }
  }
  /// Appends the task's record to this thread's log; returns its end.
  Ticks record(const Key& key, std::uint64_t output_bytes, std::uint64_t fetched_bytes = 0, int fetched_from = -1,
               std::string error = {}) const;
  /// A task that ran from `start` until now, with no spill counted (an exchange finishing on the progress thread).
  static void record_span(const Key& key, Ticks start, std::uint64_t output_bytes);

 private:
  Ticks start_ = 0;
  memory::SpillCounters spills_;
};

void record_transfer(const Key& key, int from, int to, std::uint64_t bytes, Ticks start, bool outgoing);

/// Spans one run on this rank: records its start, end and tasks by name when recording.
class RunScope {
 public:
  template <class Graph>
  explicit RunScope(const Graph& graph) : on_(recording()) {
    if (!on_) return;
    run_.start = now();
    // A graph has few names, interleaved (a tree's leaves and sums): a
    // small direct-mapped cache of the map's entries, not a lookup per task.
    struct Slot {
      std::uint32_t id = ~std::uint32_t{0};
      std::pair<KeyName, std::uint64_t>* named = nullptr;
    };
    Slot slots[16];
    for (const auto& node : graph.nodes()) {
      if (node.is_data()) continue;
      const std::uint32_t id = node.key.name().id();
      Slot& slot = slots[id % 16];
      if (slot.id != id) {
        slot = {id, &run_.tasks_by_name[id]};
        slot.named->first = node.key.name();
      }
      ++slot.named->second;
    }
  }
  ~RunScope() {
    if (!on_) return;
    run_.end = now();
    add_run(std::move(run_));
  }
  RunScope(const RunScope&) = delete;
  RunScope& operator=(const RunScope&) = delete;
  bool on() const { return on_; }

 private:
  bool on_;
  RunRecord run_;
};

}  // namespace tessera::diagnostics
