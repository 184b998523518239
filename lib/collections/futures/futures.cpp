// Futures on the replicated driver: submit() wraps the task so that a failure
// becomes a value (FutureError) that fails only this future and those that
// depend on it, and records it as pending; the first call that needs a
// result persists every pending future in one collective run. Rank 0's
// completion order of that run becomes each future's place in as_completed.
#include <tessera/futures.hpp>
#include <tessera/runtime.hpp>

#include "graph/task_error.hpp"

#include <mutex>
#include <unordered_map>

namespace tessera::detail {
namespace {

struct Pending {
  std::mutex mutex;
  std::vector<std::weak_ptr<FutureState>> states;
  std::uint64_t finished = 0;  // futures finished so far, over all runs
};

Pending& pending() {
  static Pending p;
  return p;
}

ErrorInfo cancelled_info(const Key& key) {
  ErrorInfo info;
  info.kind = ErrorKind::cancelled;
  info.key = key.str();
  info.message = "future " + key.str() + " was cancelled";
  return info;
}

void throw_if_failed(const Value& value) {
  if (const auto* failure = value.get_if<FutureError>()) {
    throw_error(failure->info);
  }
}

}  // namespace

FutureStatePtr submit_node(DelayedNodePtr task, const SubmitOptions& options) {
  auto state = std::make_shared<FutureState>();
  state->cancel_flag = std::make_shared<bool>(false);
  auto node = std::make_shared<DelayedNode>();
  node->key = task->key;
  node->deps = task->deps;
  node->restricted_to = options.rank;
  node->fn = TaskFunction([inner = task->fn, key = task->key, retries = options.retries,
                           cancelled = state->cancel_flag](TaskArgs args) -> Value {
    if (*cancelled) return Value::of(FutureError{cancelled_info(key)});
    for (const Value* arg : args) {
      if (arg->get_if<FutureError>()) return *arg;  // an input failed: so does this
    }
    for (int attempt = 0;; ++attempt) {
      try {
        return inner(args);
      } catch (...) {
        if (attempt < retries) continue;
        return Value::of(FutureError{graph::task_error_info(key, std::current_exception())});
      }
    }
  });
  state->node = std::move(node);
  auto& p = pending();
  std::lock_guard lock(p.mutex);
  p.states.push_back(state);
  return state;
}

FutureStatePtr scatter_node(Value value, int holder) {
  auto state = std::make_shared<FutureState>();
  auto node = std::make_shared<DelayedNode>();
  node->key = Key(KeyName("scatter"), next_delayed_index());
  const Runtime* runtime = Runtime::current();
  const int ranks = runtime ? runtime->size() : 1;
  const int rank = runtime ? runtime->rank() : 0;
  node->nbytes = value.nbytes();
  if (holder < 0 || ranks == 1) {
    node->data = std::move(value);  // everywhere
  } else {
    node->location = holder % ranks;
    if (node->location == rank) node->data = std::move(value);
  }
  state->node = std::move(node);
  state->done = true;
  auto& p = pending();
  std::lock_guard lock(p.mutex);
  state->finished_as = ++p.finished;
  return state;
}

void run_pending(const ComputeOptions& options) {
  std::vector<FutureStatePtr> states;
  auto& p = pending();
  {
    std::lock_guard lock(p.mutex);
    for (auto& weak : p.states) {
      if (auto state = weak.lock(); state && !state->done && !state->cancelled) states.push_back(std::move(state));
    }
    p.states.clear();
  }
  if (states.empty()) return;  // the same on every rank: nobody enters the run
  std::vector<DelayedNodePtr> nodes;
  for (const auto& s : states) nodes.push_back(s->node);
  ComputeStats stats;
  ComputeOptions run_options = options;
  run_options.record_schedule = true;
  run_options.stats = &stats;
  auto results = persist_delayed(nodes, run_options);
  std::unordered_map<Key, std::uint64_t, KeyHash> finished_as;
  {
    std::lock_guard lock(p.mutex);
    for (const Key& key : stats.completion_order) finished_as.emplace(key, ++p.finished);
  }
  for (std::size_t i = 0; i < states.size(); ++i) {
    auto& s = *states[i];
    s.finished_as = finished_as.count(s.node->key) ? finished_as.at(s.node->key) : 0;
    s.node = persisted_node(s.node, std::move(results[i]));
    s.done = true;
  }
}

void cancel_state(FutureState& state) {
  if (state.done || state.cancelled) return;
  state.cancelled = true;
  *state.cancel_flag = true;
}

Value result_value(const FutureState& state) {
  if (state.cancelled) throw_error(cancelled_info(state.node->key));
  if (!state.done) run_pending();
  auto values = compute_delayed(std::span<const DelayedNodePtr>(&state.node, 1), {});
  throw_if_failed(values[0]);
  return values[0];
}

std::vector<Value> result_values(std::span<const FutureStatePtr> states) {
  run_pending();
  std::vector<DelayedNodePtr> nodes;
  for (const auto& s : states) {
    if (s->cancelled) throw_error(cancelled_info(s->node->key));
    nodes.push_back(s->node);
  }
  auto values = compute_delayed(nodes, {});
  for (const auto& v : values) throw_if_failed(v);
  return values;
}

}  // namespace tessera::detail
