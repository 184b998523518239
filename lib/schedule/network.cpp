#include "schedule/network.hpp"

#include <atomic>
#include <mutex>
#include <vector>

namespace tessera::schedule {
namespace {
std::atomic<Network*> active{nullptr};
}

Network* current_network() { return active.load(std::memory_order_acquire); }
void set_current_network(Network* network) { active.store(network, std::memory_order_release); }

namespace {
std::mutex hooks_mutex;
std::vector<std::function<void()>>& hooks() {
  static std::vector<std::function<void()>> h;
  return h;
}
}  // namespace

void add_shutdown_hook(std::function<void()> hook) {
  std::lock_guard lock(hooks_mutex);
  hooks().push_back(std::move(hook));
}

void run_shutdown_hooks() {
  std::vector<std::function<void()>> todo;
  {
    std::lock_guard lock(hooks_mutex);
    todo.swap(hooks());
  }
  for (auto it = todo.rbegin(); it != todo.rend(); ++it) (*it)();
}

}  // namespace tessera::schedule
