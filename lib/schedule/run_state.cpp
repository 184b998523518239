#include "schedule/run_state.hpp"

#include "diagnostics/task_log.hpp"
#include "graph/task_error.hpp"

#include <algorithm>

namespace tessera::schedule {

RunState::RunState(const Graph& graph, std::span<const NodeId> outputs, bool persist)
    : graph_(graph),
      outputs_(outputs.begin(), outputs.end()),
      priority_(graph::order_of(graph, outputs)),
      dependents_(graph::dependents_of(graph)),
      store_(graph),
      exchanges_(graph, 0, 1),
      record_(diagnostics::recording()) {
  const std::size_t n = graph.size();
  waiting_ = std::make_unique<std::atomic<std::uint32_t>[]>(n);
  holds_ = std::make_unique<std::atomic<std::uint32_t>[]>(n);
  for (NodeId id = 0; id < n; ++id) {
    waiting_[id].store(static_cast<std::uint32_t>(graph.deps(id).size()), std::memory_order_relaxed);
    holds_[id].store(static_cast<std::uint32_t>(dependents_->of(id).size()), std::memory_order_relaxed);
    if (graph.deps(id).empty()) initial_ready_.push_back(id);
  }
  for (NodeId out : outputs_) holds_[out].fetch_add(1, std::memory_order_relaxed);
  if (persist) {
    persisted_output_.assign(n, 0);
    for (NodeId out : outputs_) persisted_output_[out] = 1;
  }
  std::sort(initial_ready_.begin(), initial_ready_.end(),
            [this](NodeId a, NodeId b) { return (*priority_)[a] < (*priority_)[b]; });
  finished_as_ = std::make_unique<std::atomic<std::uint32_t>[]>(n);
}

std::vector<NodeId> RunState::sequence() const {
  const auto& priority = *priority_;
  std::vector<NodeId> seq(priority.size());
  for (NodeId id = 0; id < priority.size(); ++id) seq[priority[id]] = id;
  return seq;
}

bool RunState::execute(NodeId id, std::int64_t* chain) {
  const Graph::Node& node = graph_.node(id);
  const diagnostics::TaskClock clock(record_, chain ? *chain : 0);
  try {
    if (node.persisted) {
      store_.put_persisted(id, node.persisted);
    } else if (node.is_data()) {
      store_.put(id, node.data, /*spillable=*/false);  // the graph holds it anyway
    } else {
      // Most tasks have few inputs: their handles live on the stack. Holding
      // them keeps the inputs in memory while the task runs.
      constexpr std::size_t small = 8;
      auto deps = graph_.deps(id);
      Value small_values[small];
      const Value* small_args[small];
      std::vector<Value> large_values;
      std::vector<const Value*> large_args;
      Value* values = small_values;
      const Value** args = small_args;
      if (deps.size() > small) {
        large_values.resize(deps.size());
        large_args.resize(deps.size());
        values = large_values.data();
        args = large_args.data();
      }
      for (std::size_t i = 0; i < deps.size(); ++i) {
        values[i] = store_.get(deps[i]);
        args[i] = &values[i];
      }
      // An exchange takes its senders' pieces as each finishes, into spillable
      // waiting pieces, rather than all senders' results at once at the end.
      Value result = exchanges_.is_exchange(id) ? exchanges_.finish_here(id)
                                                : graph::run_task(node, TaskArgs(args, deps.size()));
      for (std::size_t i = 0; i < deps.size(); ++i) values[i] = Value();  // spillable again
      const std::uint64_t output_bytes = result.nbytes();
      if (exchanges_.is_sender(id)) {
        exchanges_.route(id, result);
        result = Value::of(Shards{});
      }
      finished_as_[id].store(static_cast<std::uint32_t>(tasks_run_.fetch_add(1, std::memory_order_relaxed) + 1),
                             std::memory_order_relaxed);
      if (!persisted_output_.empty() && persisted_output_[id]) {
        store_.put_persisted(id, PersistedValue(std::move(result), node.key.str()));
      } else {
        store_.put(id, std::move(result));  // may spill others: part of this task's record
      }
      for (NodeId dep : deps) release(dep);  // freeing inputs (buffers, spill files) is this task's time
      if (record_) {
        const diagnostics::Ticks end = clock.record(node.key, output_bytes);
        if (chain) *chain = end;
      }
    }
  } catch (...) {
    ErrorInfo info = graph::task_error_info(node.key, std::current_exception());
    if (record_) clock.record(node.key, 0, 0, -1, info.message);
    std::lock_guard lock(error_mutex_);
    if (!error_) error_ = std::move(info);
    failed_.store(true, std::memory_order_release);
    return false;
  }
  if (holds_[id].load(std::memory_order_relaxed) == 0) release(id);  // nobody needs it (not culled)
  return true;
}

void RunState::release(NodeId id) {
  if (holds_[id].fetch_sub(1, std::memory_order_acq_rel) <= 1) store_.erase(id);
}

void RunState::rethrow_if_failed() const {
  std::lock_guard lock(error_mutex_);
  if (error_) throw_error(*error_);
}

std::vector<Value> RunState::take_outputs() {
  std::vector<Value> out;
  out.reserve(outputs_.size());
  for (NodeId id : outputs_) out.push_back(store_.get(id));
  return out;
}

std::vector<PersistedValue> RunState::take_persisted() {
  std::vector<PersistedValue> out;
  out.reserve(outputs_.size());
  for (NodeId id : outputs_) out.push_back(store_.persisted(id));
  return out;
}

std::vector<NodeId> RunState::completion_order() const {
  std::vector<NodeId> order;
  for (NodeId id = 0; id < graph_.size(); ++id) {
    if (task_done(id)) order.push_back(id);
  }
  std::sort(order.begin(), order.end(), [this](NodeId a, NodeId b) {
    return finished_as_[a].load(std::memory_order_relaxed) < finished_as_[b].load(std::memory_order_relaxed);
  });
  return order;
}

void RunState::fill_stats(ComputeStats& stats) const {
  stats.tasks_run = tasks_run_.load();
  stats.peak_live_results = store_.peak_live_results();
  stats.peak_live_bytes = store_.peak_live_bytes();
  stats.spilled_bytes = store_.spilled_bytes();
  stats.unspilled_bytes = store_.unspilled_bytes();
}

}  // namespace tessera::schedule
