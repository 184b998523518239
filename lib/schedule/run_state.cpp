#include "schedule/run_state.hpp"

#include "graph/task_error.hpp"

#include <algorithm>

namespace tessera::schedule {

RunState::RunState(const Graph& graph, std::span<const NodeId> outputs)
    : graph_(graph),
      outputs_(outputs.begin(), outputs.end()),
      priority_(order(graph, outputs)),
      dependents_(graph) {
  const std::size_t n = graph.size();
  waiting_ = std::make_unique<std::atomic<std::uint32_t>[]>(n);
  holds_ = std::make_unique<std::atomic<std::uint32_t>[]>(n);
  for (NodeId id = 0; id < n; ++id) {
    waiting_[id].store(static_cast<std::uint32_t>(graph.deps(id).size()), std::memory_order_relaxed);
    holds_[id].store(static_cast<std::uint32_t>(dependents_.of(id).size()), std::memory_order_relaxed);
    if (graph.deps(id).empty()) initial_ready_.push_back(id);
  }
  for (NodeId out : outputs_) holds_[out].fetch_add(1, std::memory_order_relaxed);
  std::sort(initial_ready_.begin(), initial_ready_.end(),
            [this](NodeId a, NodeId b) { return priority_[a] < priority_[b]; });
  results_.resize(n);
  finished_as_ = std::make_unique<std::uint32_t[]>(n);
}

std::vector<NodeId> RunState::sequence() const {
  std::vector<NodeId> seq(priority_.size());
  for (NodeId id = 0; id < priority_.size(); ++id) seq[priority_[id]] = id;
  return seq;
}

bool RunState::execute(NodeId id) {
  const Graph::Node& node = graph_.node(id);
  if (node.is_data()) {
    results_[id] = node.data;
  } else {
    // Most tasks have few inputs: gather their addresses on the stack.
    constexpr std::size_t small = 8;
    auto deps = graph_.deps(id);
    const Value* small_args[small];
    std::vector<const Value*> large_args;
    const Value** args = small_args;
    if (deps.size() > small) {
      large_args.resize(deps.size());
      args = large_args.data();
    }
    for (std::size_t i = 0; i < deps.size(); ++i) args[i] = &results_[deps[i]];
    try {
      results_[id] = graph::run_task(node, TaskArgs(args, deps.size()));
    } catch (...) {
      ErrorInfo info = graph::task_error_info(node.key, std::current_exception());
      std::lock_guard lock(error_mutex_);
      if (!error_) error_ = std::move(info);
      failed_.store(true, std::memory_order_release);
      return false;
    }
    finished_as_[id] = static_cast<std::uint32_t>(tasks_run_.fetch_add(1, std::memory_order_relaxed) + 1);
    for (NodeId dep : deps) release(dep);
  }
  count_live(1, static_cast<std::ptrdiff_t>(results_[id].nbytes()));
  if (holds_[id].load(std::memory_order_relaxed) == 0) release(id);  // nobody needs it (not culled)
  return true;
}

void RunState::release(NodeId id) {
  if (holds_[id].fetch_sub(1, std::memory_order_acq_rel) <= 1) {
    auto bytes = static_cast<std::ptrdiff_t>(results_[id].nbytes());
    results_[id] = Value();
    count_live(-1, -bytes);
  }
}

void RunState::count_live(std::ptrdiff_t results, std::ptrdiff_t bytes) {
  auto now = live_results_.fetch_add(results, std::memory_order_relaxed) + results;
  auto now_bytes = live_bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  if (results <= 0) return;
  auto peak = peak_results_.load(std::memory_order_relaxed);
  while (static_cast<std::size_t>(now) > peak &&
         !peak_results_.compare_exchange_weak(peak, static_cast<std::size_t>(now), std::memory_order_relaxed)) {
  }
  auto peak_b = peak_bytes_.load(std::memory_order_relaxed);
  while (static_cast<std::size_t>(now_bytes) > peak_b &&
         !peak_bytes_.compare_exchange_weak(peak_b, static_cast<std::size_t>(now_bytes),
                                            std::memory_order_relaxed)) {
  }
}

void RunState::rethrow_if_failed() const {
  std::lock_guard lock(error_mutex_);
  if (error_) throw_error(*error_);
}

std::vector<Value> RunState::take_outputs() {
  std::vector<Value> out;
  out.reserve(outputs_.size());
  for (NodeId id : outputs_) out.push_back(results_[id]);
  return out;
}

std::vector<NodeId> RunState::completion_order() const {
  std::vector<NodeId> order;
  for (NodeId id = 0; id < graph_.size(); ++id) {
    if (finished_as_[id]) order.push_back(id);
  }
  std::sort(order.begin(), order.end(), [this](NodeId a, NodeId b) { return finished_as_[a] < finished_as_[b]; });
  return order;
}

void RunState::fill_stats(ComputeStats& stats) const {
  stats.tasks_run = tasks_run_.load();
  stats.peak_live_results = peak_results_.load();
  stats.peak_live_bytes = peak_bytes_.load();
}

}  // namespace tessera::schedule
