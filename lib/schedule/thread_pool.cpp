#include "schedule/thread_pool.hpp"

#include "graph/crash_report.hpp"

#include <chrono>
#include <memory>
#include <optional>

#include <sched.h>

namespace tessera::schedule {
namespace {
thread_local bool this_thread_is_worker = false;

std::mutex pool_cpus_mutex;
std::optional<cpu_set_t> pool_cpus;  // unset: the threads keep the binding they inherit

void apply_pool_cpus() {
  std::optional<cpu_set_t> cpus;
  {
    std::lock_guard lock(pool_cpus_mutex);
    cpus = pool_cpus;
  }
  if (cpus) ::sched_setaffinity(0, sizeof *cpus, &*cpus);  // best effort
}

// Marks the caller as a worker while it takes part in a job, so that a task
// calling compute() runs its nested graph synchronously instead of waiting on
// the pool it is itself blocking.
struct WorkerScope {
  bool previous = this_thread_is_worker;
  WorkerScope() { this_thread_is_worker = true; }
  ~WorkerScope() { this_thread_is_worker = previous; }
};
}  // namespace

ThreadPool::ThreadPool(unsigned workers) {
  for (unsigned w = 1; w < std::max(workers, 1u); ++w) threads_.emplace_back([this, w] { loop(w); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  start_.notify_all();
  for (auto& t : threads_) t.join();
}

bool ThreadPool::in_worker() { return this_thread_is_worker; }

// Jobs often come back to back (one compute() after another): workers and
// the caller yield for a moment before they block, because waking a blocked
// thread costs 10-20 microseconds on this kind of VM, as much as a whole
// small distributed run otherwise.
namespace {
template <class Ready>
void spin_briefly(Ready ready) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(500);
  while (!ready() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
}
}  // namespace

void ThreadPool::run(const std::function<void(unsigned)>& job) {
  std::lock_guard one_job(run_mutex_);
  {
    std::lock_guard lock(mutex_);
    job_ = &job;
    running_.store(static_cast<unsigned>(threads_.size()));
    generation_.fetch_add(1);
  }
  start_.notify_all();
  {
    WorkerScope scope;
    job(0);
  }
  spin_briefly([this] { return running_.load() == 0; });
  std::unique_lock lock(mutex_);
  finished_.wait(lock, [this] { return running_.load() == 0; });
  job_ = nullptr;
}

void ThreadPool::loop(unsigned worker) {
  this_thread_is_worker = true;
  apply_pool_cpus();
  graph::use_alternate_signal_stack();  // a task that overflows its stack is still named
  std::uint64_t seen = 0;
  for (;;) {
    spin_briefly([&] { return generation_.load() != seen; });
    const std::function<void(unsigned)>* job = nullptr;
    {
      std::unique_lock lock(mutex_);
      start_.wait(lock, [&] { return stopping_ || generation_.load() != seen; });
      if (stopping_) return;
      seen = generation_.load();
      job = job_;
    }
    (*job)(worker);
    std::lock_guard lock(mutex_);
    if (running_.fetch_sub(1) == 1) finished_.notify_one();
  }
}

ThreadPool& shared_pool(unsigned workers) {
  static std::mutex mutex;
  static std::unique_ptr<ThreadPool> pool;
  std::lock_guard lock(mutex);
  if (!pool || pool->size() != workers) {
    pool.reset();
    pool = std::make_unique<ThreadPool>(workers);
  }
  return *pool;
}

// The kernel narrows a requested mask to the CPUs the process's cpuset
// allows: asking for all of them, on a thread of its own, and reading back
// what it got is how to learn that set whatever the launcher bound us to.
unsigned spread_pool_threads() {
  std::optional<cpu_set_t> allowed;
  std::thread([&] {
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) CPU_SET(cpu, &all);
    cpu_set_t got;
    if (::sched_setaffinity(0, sizeof all, &all) == 0 && ::sched_getaffinity(0, sizeof got, &got) == 0) allowed = got;
  }).join();
  if (!allowed) return 0;
  std::lock_guard lock(pool_cpus_mutex);
  pool_cpus = allowed;
  return static_cast<unsigned>(CPU_COUNT(&*allowed));
}

}  // namespace tessera::schedule
