#pragma once
// A fixed set of worker threads that run one job at a time, the calling
// thread taking part as worker 0. Started once per process and reused: a
// compute() pays no thread start-up.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tessera::schedule {

class ThreadPool {
 public:
  explicit ThreadPool(unsigned workers);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(threads_.size()) + 1; }
  /// Runs job(w) for every worker w in [0, size()) and returns when all have returned.
  void run(const std::function<void(unsigned)>& job);

  /// Whether the calling thread is one of a pool's workers (a task calling compute()).
  static bool in_worker();

 private:
  void loop(unsigned worker);

  std::vector<std::thread> threads_;
  std::mutex run_mutex_;  // one job at a time
  std::mutex mutex_;
  std::condition_variable start_, finished_;
  const std::function<void(unsigned)>* job_ = nullptr;
  std::atomic<std::uint64_t> generation_{0};  // written under mutex_, read without it while spinning
  std::atomic<unsigned> running_{0};
  bool stopping_ = false;
};

/// The process's pool with `workers` workers, made (or remade) on demand.
ThreadPool& shared_pool(unsigned workers);

/// Lets the pool's own threads (not the caller, worker 0) run on every CPU
/// this process may use, whatever the launcher bound it to; for threads
/// started afterwards. Returns how many CPUs that is (0: unknown, unchanged).
unsigned spread_pool_threads();

}  // namespace tessera::schedule
