#include "schedule/network.hpp"

#include <atomic>
#include <mutex>
#include <vector>

namespace tessera::schedule {
namespace {
std::atomic<Network*> active{nullptr};
}

std::string describe_task_at(const Graph& graph, std::size_t index) {
  return index < graph.size() ? graph.node(static_cast<NodeId>(index)).key.str()
                              : "missing (it has " + std::to_string(graph.size()) + " tasks)";
}

void throw_graph_mismatch(std::size_t index, const std::string& on_zero, const std::string& on_other,
                          int other_rank) {
  ErrorInfo info;
  info.kind = ErrorKind::mismatch;
  info.key = on_zero;
  info.message = "the ranks built different graphs: task #" + std::to_string(index) + " is " + on_zero +
                 " on rank 0 but " + on_other + " on rank " + std::to_string(other_rank) +
                 (on_zero == on_other ? " (same key, different arguments, dependencies or data)" : "");
  info.hint = "every rank must build the same graph: no rank-dependent branches or arguments, sorted file lists, "
              "explicit seeds";
  throw_error(std::move(info));
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
