#include "diagnostics/task_log.hpp"

#include <mutex>

namespace tessera::diagnostics {
namespace {

std::atomic<bool> recording_now{false};

struct Registry {
  std::mutex mutex;
  std::vector<std::unique_ptr<ThreadLog>> logs;  // owned here: a thread may end before its records are read
  std::vector<RunRecord> runs;
};

Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: threads may record during static destruction
  return *r;
}

}  // namespace

bool recording() { return recording_now.load(std::memory_order_relaxed); }

void start_recording() {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  for (auto& log : r.logs) {
    log->tasks.clear();
    log->transfers.clear();
  }
  r.runs.clear();
  recording_now.store(true, std::memory_order_relaxed);
}

void stop_recording() { recording_now.store(false, std::memory_order_relaxed); }

ThreadLog& this_thread_log() {
  thread_local ThreadLog* mine = nullptr;
  if (!mine) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    r.logs.push_back(std::make_unique<ThreadLog>());
    mine = r.logs.back().get();
    mine->id = static_cast<unsigned>(r.logs.size() - 1);
  }
  return *mine;
}

void for_each_log(const std::function<void(const ThreadLog&)>& fn) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  for (const auto& log : r.logs) fn(*log);
}

void add_run(RunRecord run) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.runs.push_back(std::move(run));
}

std::vector<RunRecord> runs() {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  return r.runs;
}

void TaskClock::record(const Key& key, std::uint64_t output_bytes, std::uint64_t fetched_bytes, int fetched_from,
                       std::string error) const {
  auto& log = this_thread_log().tasks;
  TaskRecord& rec = log.next();
  const auto& spills = memory::this_thread_spills();
  rec.key = key;
  rec.start = start_;
  rec.end = now();
  rec.output_bytes = output_bytes;
  rec.fetched_bytes = fetched_bytes;
  rec.fetched_from = fetched_from;
  rec.spill_written = spills.bytes_written - spills_.bytes_written;
  rec.spill_read = spills.bytes_read - spills_.bytes_read;
  rec.spill_ns = spills.nanoseconds - spills_.nanoseconds;
  rec.error = std::move(error);
  log.publish();
}

void TaskClock::record_span(const Key& key, Nanoseconds start, std::uint64_t output_bytes) {
  auto& log = this_thread_log().tasks;
  TaskRecord& rec = log.next();
  rec = TaskRecord{};
  rec.key = key;
  rec.start = start;
  rec.end = now();
  rec.output_bytes = output_bytes;
  log.publish();
}

void record_transfer(const Key& key, int from, int to, std::uint64_t bytes, Nanoseconds start, bool outgoing) {
  ThreadLog& thread = this_thread_log();
  thread.scheduler.store(true, std::memory_order_relaxed);
  TransferRecord& rec = thread.transfers.next();
  rec.key = key;
  rec.from = from;
  rec.to = to;
  rec.bytes = bytes;
  rec.start = start;
  rec.end = now();
  rec.outgoing = outgoing;
  thread.transfers.publish();
}

}  // namespace tessera::diagnostics
