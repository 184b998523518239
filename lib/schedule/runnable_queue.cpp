#include "schedule/runnable_queue.hpp"

#include <chrono>
#include <thread>

namespace tessera::schedule {

void RunnableQueue::push(NodeId task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(task);
    queued_.fetch_add(1, std::memory_order_release);
  }
  if (sleeping_.load(std::memory_order_acquire) > 0) ready_.notify_one();
}

void RunnableQueue::stop() {
  stop_requested_.store(true, std::memory_order_release);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
}

bool RunnableQueue::pop(NodeId& task) {
  const auto spin_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2);
  while (queued_.load(std::memory_order_acquire) == 0 && !stop_requested_.load(std::memory_order_acquire) &&
         std::chrono::steady_clock::now() < spin_until) {
    std::this_thread::yield();
  }
  std::unique_lock lock(mutex_);
  sleeping_.fetch_add(1, std::memory_order_acq_rel);
  ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
  sleeping_.fetch_sub(1, std::memory_order_acq_rel);
  if (stopping_) return false;
  task = tasks_.front();
  tasks_.pop_front();
  queued_.fetch_sub(1, std::memory_order_release);
  return true;
}

}  // namespace tessera::schedule
