#include "diagnostics/task_log.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sys/mman.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace tessera::diagnostics {
namespace {

// The time-stamp counter is a clock only when it is invariant (CPUID
// 0x80000007, EDX bit 8: constant rate, counting through sleep states); the
// kernel's own `tsc=unstable` on a VM is about its clocksource's drift
// against wall time, which a run's span does not see (TickScale relates the
// two over the Profile's life).
bool tsc_is_invariant() {
#if defined(__x86_64__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(0x80000000u, &eax, &ebx, &ecx, &edx) == 0 || eax < 0x80000007u) return false;
  if (__get_cpuid(0x80000007u, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (edx >> 8) & 1u;
#else
  return false;
#endif
}

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

namespace {

// Blocks whose pages are already touched: freed blocks return here (up to a
// cap), and a Profile's start tops the pool up.
constexpr std::size_t pool_blocks_kept = 64;
constexpr std::size_t pool_blocks_ready = 8;  // 16 MiB: ~250k tasks without a fresh page
struct Pool {
  std::mutex mutex;
  std::vector<void*> blocks;
};
Pool& pool() {
  static Pool* p = new Pool;  // never destroyed: its blocks stay reachable until exit
  return *p;
}

void* fresh_block() {
  void* block = std::aligned_alloc(log_block_bytes, log_block_bytes);
  if (!block) throw std::bad_alloc();
  ::madvise(block, log_block_bytes, MADV_HUGEPAGE);  // best effort: an error leaves small pages
  std::memset(block, 0, log_block_bytes);
  return block;
}

void fill_pool() {
  auto& p = pool();
  std::lock_guard lock(p.mutex);
  while (p.blocks.size() < pool_blocks_ready) p.blocks.push_back(fresh_block());
}

}  // namespace

void* allocate_log_block() {
  {
    auto& p = pool();
    std::lock_guard lock(p.mutex);
    if (!p.blocks.empty()) {
      void* block = p.blocks.back();
      p.blocks.pop_back();
      return block;
    }
  }
  return fresh_block();
}

void free_log_block(void* block) noexcept {
  {
    auto& p = pool();
    std::lock_guard lock(p.mutex);
    if (p.blocks.size() < pool_blocks_kept) {
      p.blocks.push_back(block);
      return;
    }
  }
  std::free(block);
}

const bool ticks_are_tsc = tsc_is_invariant();

TickScale::TickScale(Reading first, Reading last) : first_(first) {
  if (ticks_are_tsc && last.ticks > first.ticks) {
    ns_per_tick_ = static_cast<double>(last.steady - first.steady) / static_cast<double>(last.ticks - first.ticks);
  }
}

bool recording() { return recording_now.load(std::memory_order_relaxed); }

void start_recording() {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  for (auto& log : r.logs) {
    log->tasks.clear();
    log->extras.clear();
    log->transfers.clear();
  }
  r.runs.clear();
  fill_pool();
  recording_now.store(true, std::memory_order_relaxed);
}

void stop_recording() { recording_now.store(false, std::memory_order_relaxed); }

ThreadLog& this_thread_log() {
  // initial-exec: a load off the thread pointer, not a call to __tls_get_addr, once per recorded task
  constinit thread_local ThreadLog* mine [[gnu::tls_model("initial-exec")]] = nullptr;
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

namespace {

// `extra_done`: the task's extra is already appended (it then holds a long key too).
void append_task(ThreadLog& log, const Key& key, Ticks start, Ticks end, std::uint64_t output_bytes,
                 bool extra_done) {
  TaskRecord& rec = log.tasks.next();
  const auto index = key.index();
  rec.name = key.name();
  rec.index_count = static_cast<std::uint32_t>(index.size());
  rec.token = key.token();
  for (std::size_t i = 0; i < index.size() && i < TaskRecord::short_key; ++i) rec.index[i] = index[i];
  rec.start = start;
  rec.end = end;
  rec.output_bytes = output_bytes;
  if (!extra_done && index.size() > TaskRecord::short_key) {
    TaskExtra& more = log.extras.next();
    more.task = log.tasks.size();
    if (index.size() > TaskRecord::short_key) more.key = key;
    log.extras.publish();  // before its task: a reader that sees the task sees its extra
  }
  log.tasks.publish();
}

}  // namespace

Key TaskRecord::key(const TaskExtra* extra) const {
  if (index_count > short_key && extra) return extra->key;
  return Key(name, token, std::span<const std::int64_t>(index, std::min<std::size_t>(index_count, short_key)));
}

Ticks TaskClock::record(const Key& key, std::uint64_t output_bytes, std::uint64_t fetched_bytes, int fetched_from,
                        std::string error) const {
  const Ticks end = now();
  ThreadLog& log = this_thread_log();
  const auto& spills = memory::this_thread_spills();
  const bool spilled = spills.nanoseconds != spills_.nanoseconds || spills.bytes_written != spills_.bytes_written ||
                       spills.bytes_read != spills_.bytes_read;
  const bool extra = fetched_bytes != 0 || spilled || !error.empty();
  if (extra) {  // filled in first; append_task publishes it with the task
    TaskExtra& more = log.extras.next();
    more.task = log.tasks.size();
    if (key.index().size() > TaskRecord::short_key) more.key = key;
    more.fetched_bytes = fetched_bytes;
    more.fetched_from = fetched_from;
    more.spill_written = spills.bytes_written - spills_.bytes_written;
    more.spill_read = spills.bytes_read - spills_.bytes_read;
    more.spill_ns = spills.nanoseconds - spills_.nanoseconds;
    more.error = std::move(error);
    log.extras.publish();
  }
  append_task(log, key, start_, end, output_bytes, /*extra_done=*/extra);
  return end;
}

void TaskClock::record_span(const Key& key, Ticks start, std::uint64_t output_bytes) {
  append_task(this_thread_log(), key, start, now(), output_bytes, /*extra_done=*/false);
}

void record_transfer(const Key& key, int from, int to, std::uint64_t bytes, Ticks start, bool outgoing) {
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
