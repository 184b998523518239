#include "schedule/root_gate.hpp"

#include "graph/derived.hpp"

namespace tessera::schedule {

RootGate::RootGate(const Graph& graph, const graph::Dependents& dependents)
    : graph_(graph), dependents_(dependents) {
  const std::size_t n = graph.size();
  root_.assign(n, 0);
  for (NodeId id = 0; id < n; ++id) {
    if (!graph.node(id).is_data()) root_[id] = graph::is_root(graph, id);  // a task, not data
  }
  waiting_.assign(n, 0);
  consumers_.assign(n, 0);
  blocked_.assign(n, 0);
  for (NodeId id = 0; id < n; ++id) {
    for (NodeId dep : graph.deps(id)) waiting_[id] += !graph.node(dep).is_data() && !root_[dep];
  }
  for (NodeId id = 0; id < n; ++id) {
    for (NodeId dep : graph.deps(id)) {
      if (!root_[dep]) continue;
      ++consumers_[dep];
      if (waiting_[id] > 0) {
        ++blocked_[dep];
        active_ = true;
      }
    }
  }
  parked_.assign(active_ ? n : 0, 0);
}

bool RootGate::premature(NodeId task) const {
  return active_ && root_[task] && parked_[task] != 2 && consumers_[task] > 0 && blocked_[task] == consumers_[task];
}

void RootGate::park(NodeId root, std::uint32_t priority) {
  parked_[root] = 1;
  ++parked_count_;
  by_priority_.push({priority, root});
}

void RootGate::finished(NodeId task, std::vector<NodeId>& released) {
  if (!active_ || root_[task] || graph_.node(task).is_data()) return;
  for (NodeId user : dependents_.of(task)) {
    if (waiting_[user] == 0 || --waiting_[user] > 0) continue;
    for (NodeId dep : graph_.deps(user)) {
      if (!root_[dep]) continue;
      --blocked_[dep];
      if (parked_[dep] == 1) {
        parked_[dep] = 2;
        --parked_count_;
        released.push_back(dep);
      }
    }
  }
}

std::optional<NodeId> RootGate::take_best() {
  while (!by_priority_.empty()) {
    const NodeId root = by_priority_.top().second;
    by_priority_.pop();
    if (parked_[root] != 1) continue;  // released since
    parked_[root] = 2;  // so that premature() lets it through
    --parked_count_;
    return root;
  }
  return std::nullopt;
}

}  // namespace tessera::schedule
