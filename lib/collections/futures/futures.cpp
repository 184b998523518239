// Futures on the replicated driver.
//
// submit() wraps the task so that a failure becomes a value (FutureError)
// that fails only this future and those that depend on it, and queues it.
// A runner thread per rank runs the queue in batches: the runners agree on
// how many queued futures every rank has (each rank queues the same futures
// in the same order), persist that many in one run on their own workers and
// communicator, and publish the results. Rank 0's completion order within a
// batch, batch after batch, is as_completed's order on every rank.
//
// A later batch meets futures of earlier ones through their dependents'
// links to the old task nodes; `ran_` maps those to the persisted results so
// that nothing runs twice. Without a runner (MPI without THREAD_MULTIPLE)
// the queue runs on the program's thread when something waits.
#include <tessera/futures.hpp>
#include <tessera/runtime.hpp>

#include "graph/task_error.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace tessera::detail {
namespace {

ErrorInfo cancelled_info(const Key& key) {
  ErrorInfo info;
  info.kind = ErrorKind::cancelled;
  info.key = key.str();
  info.message = "future " + key.str() + " was cancelled";
  return info;
}

void throw_if_failed(const Value& value) {
  if (const auto* failure = value.get_if<FutureError>()) throw_error(failure->info);
}

class Futures {
 public:
  static Futures& instance() {
    static Futures futures;
    return futures;
  }

  ~Futures() { stop(); }

  void enqueue(FutureStatePtr state) {
    start_once();
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(state));
  }

  void publish_scattered(FutureState& state) {
    std::lock_guard lock(mutex_);
    state.done = true;
    state.finished_as = ++finished_;
  }

  void wait(std::span<const FutureState* const> states) {
    if (!runner_) {
      run_queue_here();
      return;
    }
    std::unique_lock lock(mutex_);
    for (const FutureState* s : states) changed_.wait(lock, [s] { return s->done; });
  }

  std::mutex& mutex() { return mutex_; }

 private:
  // The first submit happens at the same point on every rank: the runner's
  // creation (a communicator duplicate) is collective.
  void start_once() {
    if (started_) return;
    started_ = true;
    runner_ = BackgroundRunner::create();
    if (!runner_) return;  // MPI without THREAD_MULTIPLE: run when waited on
    thread_ = std::thread([this] { loop(); });
    at_shutdown([this] { stop(); });
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (!thread_.joinable()) return;
      stopping_ = true;
    }
    thread_.join();
    runner_.reset();
  }

  void loop() {
    auto idle_sleep = std::chrono::microseconds(50);
    for (;;) {
      std::uint64_t queued;
      bool stopping;
      {
        std::lock_guard lock(mutex_);
        queued = queue_.size();
        stopping = stopping_;
      }
      auto [count, all_stopping] = runner_->agree(queued, stopping);
      if (count > 0) {
        run_batch(static_cast<std::size_t>(count), runner_.get());
        idle_sleep = std::chrono::microseconds(50);
      } else if (all_stopping) {
        return;
      } else {
        std::this_thread::sleep_for(idle_sleep);
        idle_sleep = std::min(idle_sleep * 2, std::chrono::microseconds(2000));
      }
    }
  }

  // The program's thread runs the queue itself (no runner).
  void run_queue_here() {
    std::size_t count;
    {
      std::lock_guard lock(mutex_);
      count = queue_.size();
    }
    if (count > 0) run_batch(count, nullptr);
  }

  void run_batch(std::size_t count, BackgroundRunner* runner) {
    std::vector<FutureStatePtr> batch;
    std::vector<DelayedNodePtr> nodes;
    {
      std::lock_guard lock(mutex_);
      for (std::size_t i = 0; i < count; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
        nodes.push_back(batch.back()->node);
      }
    }
    for (auto it = ran_.begin(); it != ran_.end();) {  // forget tasks nothing can reach any more
      it = it->second.task.expired() ? ran_.erase(it) : std::next(it);
    }
    std::vector<NodeId> ids;
    Graph graph = delayed_graph(nodes, ids, [this](const DelayedNode* node) {
      auto it = ran_.find(node);
      return it == ran_.end() ? node : it->second.result.get();
    });
    ComputeStats stats;
    ComputeOptions options;
    options.record_schedule = true;
    options.stats = &stats;
    options.progress = ProgressMode::off;  // batches run in the background: no bar over the program's output
    std::vector<PersistedResult> results =
        runner ? runner->persist(graph, ids, options) : persist_nodes(graph, ids, options);

    std::unordered_map<Key, std::uint64_t, KeyHash> order;
    {
      std::lock_guard lock(mutex_);
      for (const Key& key : stats.completion_order) order.emplace(key, ++finished_);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        FutureState& s = *batch[i];
        auto persisted = persisted_node(s.node, std::move(results[i]));
        ran_[s.node.get()] = {s.node, persisted};
        s.node = std::move(persisted);
        s.finished_as = order.count(s.key) ? order.at(s.key) : ++finished_;
        s.done = true;
      }
    }
    changed_.notify_all();
  }

  struct Ran {
    std::weak_ptr<const DelayedNode> task;
    DelayedNodePtr result;
  };

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<FutureStatePtr> queue_;
  std::uint64_t finished_ = 0;
  bool started_ = false, stopping_ = false;
  std::unique_ptr<BackgroundRunner> runner_;
  std::thread thread_;
  std::unordered_map<const DelayedNode*, Ran> ran_;  // runner thread only
};

}  // namespace

FutureStatePtr submit_node(DelayedNodePtr task, const SubmitOptions& options) {
  auto state = std::make_shared<FutureState>();
  state->key = task->key;
  state->cancel_flag = std::make_shared<std::atomic<bool>>(false);
  auto node = std::make_shared<DelayedNode>();
  node->key = task->key;
  node->deps = task->deps;
  node->restricted_to = options.rank;
  node->fn = TaskFunction([inner = task->fn, key = task->key, retries = options.retries,
                           cancelled = state->cancel_flag](TaskArgs args) -> Value {
    if (cancelled->load()) return Value::of(FutureError{cancelled_info(key)});
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
  Futures::instance().enqueue(state);
  return state;
}

FutureStatePtr scatter_node(Value value, bool broadcast) {
  static int next_holder = 0;  // round robin over scatter calls: the same sequence on every rank
  const int holder = broadcast ? -1 : next_holder++;
  auto state = std::make_shared<FutureState>();
  auto node = std::make_shared<DelayedNode>();
  TokenHasher token;
  token.add(std::string_view("scatter"));
  token.add(value.type_name());
  token.mix(value.content_token());
  node->key = call_key(KeyName("scatter"), token);
  state->key = node->key;
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
  Futures::instance().publish_scattered(*state);
  return state;
}

void wait_states(std::span<const FutureStatePtr> states) {
  std::vector<const FutureState*> raw;
  for (const auto& s : states) raw.push_back(s.get());
  Futures::instance().wait(raw);
}

DelayedNodePtr current_node(const FutureState& state) {
  std::lock_guard lock(Futures::instance().mutex());
  return state.node;
}

bool is_done(const FutureState& state) {
  std::lock_guard lock(Futures::instance().mutex());
  return state.done;
}

std::uint64_t finished_as(const FutureState& state) {
  std::lock_guard lock(Futures::instance().mutex());
  return state.finished_as;
}

void cancel_state(FutureState& state) {
  if (state.cancelled || is_done(state)) return;
  state.cancelled = true;
  state.cancel_flag->store(true);
}

Value result_value(const FutureState& state) {
  if (state.cancelled) throw_error(cancelled_info(state.key));
  const FutureState* self = &state;
  Futures::instance().wait(std::span<const FutureState* const>(&self, 1));
  DelayedNodePtr node = current_node(state);
  auto values = compute_delayed(std::span<const DelayedNodePtr>(&node, 1), {});
  throw_if_failed(values[0]);
  return values[0];
}

std::vector<Value> result_values(std::span<const FutureStatePtr> states) {
  for (const auto& s : states) {
    if (s->cancelled) throw_error(cancelled_info(s->key));
  }
  wait_states(states);
  std::vector<DelayedNodePtr> nodes;
  for (const auto& s : states) nodes.push_back(current_node(*s));
  auto values = compute_delayed(nodes, {});
  for (const auto& v : values) throw_if_failed(v);
  return values;
}

}  // namespace tessera::detail
