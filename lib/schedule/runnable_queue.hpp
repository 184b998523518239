#pragma once
// The tasks a rank's workers may start now, in the order they became
// runnable: the progress thread pushes, the pool's workers pop. An idle
// worker yields for a few milliseconds before it sleeps: waking a sleeping
// thread costs tens of microseconds on this kind of VM, more than most
// transfers of a megabyte.
#include <tessera/graph.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>

namespace tessera::schedule {

class RunnableQueue {
 public:
  void push(NodeId task);
  /// Waits for a task; false once stop() was called.
  bool pop(NodeId& task);
  /// Wakes every waiting worker; pop() returns false from then on.
  void stop();

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<NodeId> tasks_;
  bool stopping_ = false;
  // Read without the lock by spinning workers and by push().
  std::atomic<std::size_t> queued_{0};
  std::atomic<int> sleeping_{0};
  std::atomic<bool> stop_requested_{false};
};

}  // namespace tessera::schedule
