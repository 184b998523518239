// The thread-pool scheduler.
//
// Policy: each worker owns a deque of ready tasks. It takes from the back of
// its own (the most recently readied, so it goes depth-first and results are
// consumed soon after they are made) and, when empty, steals from the front
// of another's (the oldest, far from what that worker is doing). When a task
// finishes, the dependents it made ready are ordered by priority: the best
// one runs next on the same worker without touching a queue (a chain costs
// no synchronisation), the others go to the back of the local deque.
// The tasks with no dependencies start out split into contiguous runs of the
// graph order, one per worker, so each worker starts on its own subtree;
// roots whose consumers all wait for computed work are parked until one
// may run (root_gate.hpp), not dealt.
//
// State: per-worker deques under their own mutex (uncontended but for
// steals); `remaining_` counts unfinished tasks; idle workers sleep on a
// condition variable after a short spin, woken by a push or by the end.
// The first task error sets the state's failed flag: workers finish their
// current task, start no other, and return.
#include "schedule/executors.hpp"
#include "schedule/root_gate.hpp"
#include "schedule/thread_pool.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <thread>

namespace tessera::schedule {
namespace {

struct alignas(64) WorkerQueue {
  std::mutex mutex;
  std::deque<NodeId> tasks;
};

class ThreadPoolRun {
 public:
  ThreadPoolRun(RunState& state, unsigned workers)
      : state_(state), queues_(workers), remaining_(state.size()), gate_(state.graph(), state.all_dependents()) {
    // Roots whose consumers all wait for computed inputs are parked instead.
    std::vector<NodeId> ready;
    for (NodeId id : state.initial_ready()) {
      if (gate_.premature(id)) gate_.park(id, state.priority(id));
      else ready.push_back(id);
    }
    const std::size_t per_worker = (ready.size() + workers - 1) / workers;
    for (unsigned w = 0; w < workers; ++w) {
      const std::size_t begin = std::min(ready.size(), w * per_worker);
      const std::size_t end = std::min(ready.size(), begin + per_worker);
      // Back of the deque = lowest position in the order = runs first.
      for (std::size_t i = end; i > begin; --i) queues_[w].tasks.push_back(ready[i - 1]);
    }
  }

  void work(unsigned worker) {
    std::vector<NodeId> readied;
    NodeId task = 0;
    while (next_task(worker, task)) {
      for (;;) {  // run a task, then go straight on with the best task it readied
        if (!state_.execute(task)) {
          wake_all();
          return;
        }
        readied.clear();
        for (NodeId dependent : state_.dependents(task)) {
          if (state_.satisfy(dependent)) readied.push_back(dependent);
        }
        if (gate_.active()) {
          std::lock_guard lock(gate_mutex_);
          gate_.finished(task, readied);
        }
        if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
          wake_all();
          return;
        }
        if (readied.empty()) break;
        auto best = std::min_element(readied.begin(), readied.end(), [this](NodeId a, NodeId b) {
          return state_.priority(a) < state_.priority(b);
        });
        task = *best;
        if (readied.size() > 1) {
          readied.erase(best);
          std::sort(readied.begin(), readied.end(),
                    [this](NodeId a, NodeId b) { return state_.priority(a) > state_.priority(b); });
          push(worker, readied);
        }
      }
    }
  }

 private:
  bool finished() const {
    return remaining_.load(std::memory_order_acquire) == 0 || state_.failed();
  }

  bool take(unsigned worker, NodeId& task) {
    {
      WorkerQueue& own = queues_[worker];
      std::lock_guard lock(own.mutex);
      if (!own.tasks.empty()) {
        task = own.tasks.back();
        own.tasks.pop_back();
        return true;
      }
    }
    for (std::size_t i = 1; i < queues_.size(); ++i) {
      WorkerQueue& victim = queues_[(worker + i) % queues_.size()];
      std::lock_guard lock(victim.mutex);
      if (!victim.tasks.empty()) {
        task = victim.tasks.front();
        victim.tasks.pop_front();
        return true;
      }
    }
    return false;
  }

  bool next_task(unsigned worker, NodeId& task) {
    if (gate_.active()) running_.fetch_sub(1, std::memory_order_acq_rel);
    for (;;) {
      if (finished()) return false;
      for (int spin = 0; spin < 64; ++spin) {
        if (take_counted(worker, task)) return true;
        if (finished()) return false;
        std::this_thread::yield();
      }
      std::unique_lock lock(sleep_mutex_);
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      if (!finished() && !take_counted(worker, task)) {
        wake_.wait_for(lock, std::chrono::milliseconds(2));
        sleepers_.fetch_sub(1, std::memory_order_seq_cst);
        continue;
      }
      sleepers_.fetch_sub(1, std::memory_order_seq_cst);
      if (finished()) return false;
      return true;
    }
  }

  // A task from the deques, or a parked root when no worker has a task (a
  // safety net: the shallowest unfinished task always has its computed inputs,
  // so some consumer of a parked root becomes runnable first). With the gate
  // active the worker counts as running from before it looks, so another
  // worker never sees zero while a task is between a deque and its runner.
  bool take_counted(unsigned worker, NodeId& task) {
    if (!gate_.active()) return take(worker, task);
    running_.fetch_add(1, std::memory_order_acq_rel);
    if (take(worker, task)) return true;
    if (running_.fetch_sub(1, std::memory_order_acq_rel) != 1) return false;
    std::lock_guard lock(gate_mutex_);
    if (!gate_.any_parked()) return false;
    task = *gate_.take_best();
    running_.fetch_add(1, std::memory_order_acq_rel);
    return true;
  }

  void push(unsigned worker, const std::vector<NodeId>& tasks) {
    {
      WorkerQueue& own = queues_[worker];
      std::lock_guard lock(own.mutex);
      own.tasks.insert(own.tasks.end(), tasks.begin(), tasks.end());
    }
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard lock(sleep_mutex_);
      wake_.notify_all();
    }
  }

  void wake_all() {
    std::lock_guard lock(sleep_mutex_);
    wake_.notify_all();
  }

  RunState& state_;
  std::vector<WorkerQueue> queues_;
  std::atomic<std::size_t> remaining_;
  std::mutex sleep_mutex_;
  std::condition_variable wake_;
  std::atomic<int> sleepers_{0};
  RootGate gate_;
  std::mutex gate_mutex_;
  std::atomic<int> running_{static_cast<int>(queues_.size())};  // workers with a task (kept when the gate is active)
};

}  // namespace

void run_threads(RunState& state, unsigned threads, ThreadPool* own_pool) {
  if (state.size() == 0) return;
  ThreadPool& pool = own_pool && own_pool->size() == threads ? *own_pool : shared_pool(threads);
  ThreadPoolRun run(state, pool.size());
  pool.run([&run](unsigned worker) { run.work(worker); });
  state.rethrow_if_failed();
}

}  // namespace tessera::schedule
