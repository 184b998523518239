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
#include <memory>
#include <string>
#include <vector>

namespace tessera::diagnostics {

/// Nanoseconds on the steady clock: cheap to read, comparable within a node.
using Nanoseconds = std::int64_t;
inline Nanoseconds now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct TaskRecord {
  Key key;
  Nanoseconds start = 0, end = 0;
  std::uint64_t output_bytes = 0;
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
  Nanoseconds start = 0, end = 0;
  bool outgoing = false;  // recorded by the sender; else by the receiver
};

/// One compute() or persist() on this rank: its span, and its tasks by key name (by KeyName::id).
struct RunRecord {
  Nanoseconds start = 0, end = 0;
  std::map<std::uint32_t, std::pair<KeyName, std::uint64_t>> tasks_by_name;
};

/// Appended by one thread, read by others: a list of fixed-size chunks whose
/// published length only grows, so a reader never sees a record half written.
template <class T>
class AppendLog {
 public:
  AppendLog() = default;
  AppendLog(const AppendLog&) = delete;
  AppendLog& operator=(const AppendLog&) = delete;
  ~AppendLog() { clear(); }

  T& next() {  // the writer fills it, then publish()es
    if (!tail_ || tail_used_ == chunk_size) {
      auto* chunk = new Chunk;
      if (tail_) tail_->next.store(chunk, std::memory_order_release);
      else head_.store(chunk, std::memory_order_release);
      tail_ = chunk;
      tail_used_ = 0;
    }
    return tail_->items[tail_used_];
  }
  void publish() {
    ++tail_used_;
    size_.store(size_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
  template <class Fn>
  void for_each(Fn&& fn) const {
    std::size_t left = size_.load(std::memory_order_acquire);
    for (Chunk* c = head_.load(std::memory_order_acquire); c && left; c = c->next.load(std::memory_order_acquire)) {
      const std::size_t n = left < chunk_size ? left : chunk_size;
      for (std::size_t i = 0; i < n; ++i) fn(c->items[i]);
      left -= n;
    }
  }
  std::size_t size() const { return size_.load(std::memory_order_acquire); }
  /// Only while nobody appends.
  void clear() {
    for (Chunk* c = head_.load(); c;) {
      Chunk* next = c->next.load();
      delete c;
      c = next;
    }
    head_.store(nullptr);
    tail_ = nullptr;
    tail_used_ = 0;
    size_.store(0);
  }

 private:
  static constexpr std::size_t chunk_size = 256;
  struct Chunk {
    T items[chunk_size];
    std::atomic<Chunk*> next{nullptr};
  };
  std::atomic<Chunk*> head_{nullptr};
  Chunk* tail_ = nullptr;  // the writer's
  std::size_t tail_used_ = 0;
  std::atomic<std::size_t> size_{0};
};

struct ThreadLog {
  unsigned id = 0;             // in the order threads first recorded
  std::atomic<bool> scheduler{false};  // the distributed progress thread (else a worker)
  AppendLog<TaskRecord> tasks;
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
  explicit TaskClock(bool on) {
    if (on) {
      spills_ = memory::this_thread_spills();
      start_ = now();
    }
  }
  /// Appends the task's record to this thread's log.
  void record(const Key& key, std::uint64_t output_bytes, std::uint64_t fetched_bytes = 0, int fetched_from = -1,
              std::string error = {}) const;
  /// A task that ran from `start` until now, with no spill counted (an exchange finishing on the progress thread).
  static void record_span(const Key& key, Nanoseconds start, std::uint64_t output_bytes);

 private:
  Nanoseconds start_ = 0;
  memory::SpillCounters spills_;
};

void record_transfer(const Key& key, int from, int to, std::uint64_t bytes, Nanoseconds start, bool outgoing);

/// Spans one run on this rank: records its start, end and tasks by name when recording.
class RunScope {
 public:
  template <class Graph>
  explicit RunScope(const Graph& graph) : on_(recording()) {
    if (!on_) return;
    run_.start = now();
    for (const auto& node : graph.nodes()) {
      if (node.is_data()) continue;
      auto& named = run_.tasks_by_name[node.key.name().id()];
      named.first = node.key.name();
      ++named.second;
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
