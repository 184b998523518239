// The distributed scheduler (DESIGN.md §1-3, §6).
//
// Every rank holds the same graph (checked by fingerprint first). Rank 0
// decides where each task runs; every rank runs what it is given on its
// thread pool; results stay where they were made and move point to point
// from the rank that holds them to the rank that needs them.
//
// Threads: the calling thread is the progress thread (it alone talks to the
// network, and on rank 0 it also schedules); the pool's other workers run
// tasks from `runnable_` and hand back `completed_`.
//
// Policy on rank 0. A task is ready when its dependencies are done. Ready
// tasks are taken in the graph's memory-friendly order (graph/order.cpp) and
// placed on the rank that holds most of their input bytes, if that rank has
// a free slot, else on the least loaded rank with one. A rank has
// `slots_per_thread` slots per worker thread, so that assignments and
// completions travel in batches while no rank takes on much more than it can
// run. Rank 0 tracks every copy of every result (the producer's, and those
// fetched for consumers) and, once no remaining task needs a result, tells
// each holder to free it.
//
// Messages: see MessageKind. With each assignment, rank 0 asks the holder of
// every input the target lacks to push it there; data goes holder to target
// directly, never through rank 0.
//
// Errors: the first task error goes to rank 0, which sends `abort` to all;
// every rank stops starting tasks, waits for its running ones, and throws
// the same TaskError.
#include "schedule/distributed_executor.hpp"

#include "graph/crash_report.hpp"
#include "graph/derived.hpp"
#include "graph/task_error.hpp"
#include "memory/budget.hpp"
#include "schedule/inline_value.hpp"
#include "schedule/input_waits.hpp"
#include "schedule/progress.hpp"
#include "schedule/result_store.hpp"
#include "schedule/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <thread>
#include <unordered_map>

namespace tessera::schedule {
namespace {

constexpr unsigned slots_per_thread = 8;
constexpr int set_above_ranks = 32;  // above this many ranks, free ranks are kept sorted
constexpr int everywhere = -1;

// Small outputs of a compute() ride along with the completion that made
// them and with `finish`, instead of a broadcast after the run: most
// computes return a scalar or a small summary.
constexpr std::size_t inline_value_bytes = 4096;

struct Completion {
  NodeId node;
  std::optional<ErrorInfo> error;
};

class DistributedRun final : public ProgressSource {
 public:
  DistributedRun(const Graph& graph, std::span<const NodeId> outputs, const ComputeOptions& options,
                 Network& network, bool persist, ThreadPool* pool)
      : pool_(pool),
        graph_(graph),
        outputs_(outputs.begin(), outputs.end()),
        options_(options),
        net_(network),
        persist_(persist),
        me_(network.rank()),
        ranks_(network.size()),
        results_(graph) {
    for (NodeId id = 0; id < graph.size(); ++id) {
      const auto& node = graph.node(id);
      if (node.is_data() && (node.location == everywhere || node.location == me_)) {
        if (node.persisted) {
          results_.put_persisted(id, node.persisted);  // counted and spilled by the PersistedStore
        } else {
          results_.put(id, node.data, /*spillable=*/false);
        }
      }
    }
    is_output_.assign(graph.size(), 0);
    for (NodeId id : outputs_) is_output_[id] = 1;
    if (me_ == 0) init_scheduler();
  }

  DistributedOutputs run() {
    const std::uint64_t received_before = net_.value_bytes_received();
    const unsigned threads = net_.threads_per_rank()[me_];
    // Worker 0 is this thread: progress, not tasks.
    ThreadPool& pool = pool_ && pool_->size() == threads + 1 ? *pool_ : shared_pool(threads + 1);
    {
      ProgressDisplay progress(graph_, *this, options_.progress, me_);
      pool.run([this](unsigned worker) {
        if (worker == 0) {
          progress_loop();
        } else {
          work_loop();
        }
      });
    }
    net_.end_run(/*clean=*/!error_);
    if (error_) throw_error(*error_);

    DistributedOutputs out;
    std::vector<int> holders(outputs_.size());
    std::vector<Key> keys;
    if (persist_) out.persisted.resize(outputs_.size());
    else out.values.resize(outputs_.size());
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
      const int holder = output_holder_[i];
      const bool here = holder == me_ || holder == everywhere;
      if (persist_) {
        // As the run holds it: a PersistedValue, maybe spilled, not read back.
        out.persisted[i] = {here ? results_.persisted(outputs_[i]) : PersistedValue(), holder, output_nbytes_[i]};
        continue;
      }
      if (here) out.values[i] = results_.get(outputs_[i]);
      holders[i] = holder == everywhere ? -2 : holder;  // replicated data: nobody sends it
      keys.push_back(graph_.node(outputs_[i]).key);
    }
    for (NodeId id = 0; id < graph_.size(); ++id) results_.erase(id);  // free what the run made before the outputs are copied around
    if (!persist_) net_.broadcast_outputs(out.values, holders, keys);
    if (options_.stats) {
      auto& stats = *options_.stats;
      stats.tasks_run = tasks_run_;
      stats.threads = threads;
      stats.rank = me_;
      stats.bytes_received = net_.value_bytes_received() - received_before + inline_bytes_received_;
      stats.peak_live_results = results_.peak_live_results();
      stats.peak_live_bytes = results_.peak_live_bytes();
      stats.spilled_bytes = results_.spilled_bytes();
      stats.unspilled_bytes = results_.unspilled_bytes();
      const auto memory = memory::Budget::instance().status();
      stats.peak_memory_bytes = memory.peak_tracked_bytes;
      stats.memory_limit = memory.limit;
      stats.placement.clear();
      stats.completion_order.clear();
      if (options_.record_schedule) {
        for (NodeId id = 0; id < graph_.size(); ++id) {
          if (!graph_.node(id).is_data()) stats.placement.emplace_back(graph_.node(id).key, placement_[id]);
        }
        for (NodeId id : completed_order_) stats.completion_order.push_back(graph_.node(id).key);
      }
    }
    return out;
  }

 private:
  // ---- rank 0: what the progress display reads ----------------------------------------
  bool task_done(NodeId id) const override { return done_flags_[id].load(std::memory_order_relaxed) != 0; }
  std::size_t tasks_done() const override { return tasks_done_.load(std::memory_order_relaxed); }
  std::vector<RankMemory> rank_memory() const override {
    std::vector<RankMemory> out(static_cast<std::size_t>(ranks_));
    for (std::size_t r = 0; r < out.size(); ++r) {
      out[r].tracked = memory_reports_[2 * r].load(std::memory_order_relaxed);
      out[r].spilled = memory_reports_[2 * r + 1].load(std::memory_order_relaxed);
    }
    const auto& budget = memory::Budget::instance();  // rank 0's own is always current
    out[0] = {budget.tracked(), budget.spilled_now()};
    return out;
  }

  // ---- every rank: the progress thread --------------------------------------------------
  // Polls until the run ends. When nothing happens it yields the core (to
  // workers, or to other ranks on an oversubscribed node) for the first few
  // milliseconds, which keeps message latency at a few microseconds, and
  // only then sleeps, so that a rank waiting on a long task costs no CPU.
  void progress_loop() {
    using Clock = std::chrono::steady_clock;
    auto last_activity = Clock::now();
    auto nap = std::chrono::microseconds(50);
    Message msg;
    while (!finished_) {
      bool busy = false;
      while (!finished_ && net_.poll(msg)) {
        handle(msg);
        busy = true;
      }
      busy |= drain_completions();
      busy |= send_waiting_pushes();
      if (me_ == 0 && !finished_) busy |= schedule_ready();
      if (busy) {
        last_activity = Clock::now();
        nap = std::chrono::microseconds(50);
      } else if (Clock::now() - last_activity < std::chrono::microseconds(500)) {
        std::this_thread::yield();
      } else {
        // Idle while the workers run long tasks: naps that double up to 1 ms.
        // Waking every 100 µs cost a rank bound to one core 25,000 context
        // switches in W1's 3 s (its worker shares that core) and ~30% of its time.
        std::this_thread::sleep_for(nap);
        nap = std::min(nap * 2, std::chrono::microseconds(1000));
      }
    }
    stop_workers();
  }

  void handle(Message& msg) {
    ByteReader in(msg.body);
    switch (msg.kind) {
      case MessageKind::assign: on_assign(in); break;
      case MessageKind::data: on_data(msg.node, std::move(msg.value)); break;
      case MessageKind::push: on_push(in); break;
      case MessageKind::release: {
        auto count = in.get<std::uint32_t>();
        for (std::uint32_t i = 0; i < count; ++i) free_result(in.get<NodeId>());
        break;
      }
      case MessageKind::done: {
        auto count = in.get<std::uint32_t>();
        memory_reports_[2 * msg.source].store(in.get<std::uint64_t>(), std::memory_order_relaxed);
        memory_reports_[2 * msg.source + 1].store(in.get<std::uint64_t>(), std::memory_order_relaxed);
        for (std::uint32_t i = 0; i < count; ++i) {
          NodeId node = in.get<NodeId>();
          const auto nbytes = in.get<std::uint64_t>();
          if (in.get<std::uint8_t>()) {
            if (Value value = get_inline_value(in, &inline_bytes_received_)) {
              store(node, std::move(value));  // rank 0 now holds the output too
            }
          }
          on_done(msg.source, node, nbytes);
        }
        break;
      }
      case MessageKind::error: on_error(in.get<ErrorInfo>()); break;
      case MessageKind::abort: error_ = in.get<ErrorInfo>(); finished_ = true; break;
      case MessageKind::finish: on_finish(in); break;
      default: {  // the futures service's kinds never travel on a compute()'s network
        ErrorInfo e;
        e.kind = ErrorKind::comm;
        e.rank = me_;
        e.message = "rank " + std::to_string(me_) + " got message kind " + std::to_string(static_cast<int>(msg.kind)) +
                    " from rank " + std::to_string(msg.source) + " during a compute()";
        report_error(std::move(e));
        break;
      }
    }
  }

  // Inputs this rank does not hold yet are on their way: rank 0 asked their
  // holders to send them when it made the assignment.
  void on_assign(ByteReader& in) {
    auto count = in.get<std::uint32_t>();
    for (std::uint32_t i = 0; i < count; ++i) {
      NodeId task = in.get<NodeId>();
      bool waits = false;
      for (NodeId dep : graph_.deps(task)) {
        if (results_.has(dep)) continue;
        input_waits_.wait(task, dep);
        waits = true;
      }
      if (!waits) make_runnable(task);
    }
  }

  void on_data(NodeId node, Value value) {
    store(node, std::move(value));
    input_waits_.arrived(node, [this](NodeId task) { make_runnable(task); });
  }

  void on_push(ByteReader& in) {
    auto count = in.get<std::uint32_t>();
    for (std::uint32_t i = 0; i < count; ++i) {
      NodeId node = in.get<NodeId>();
      push(node, in.get<std::int32_t>());
    }
  }

  // A result being sent stays in memory until the send completes: beyond the
  // headroom between the spill target and the limit, pushes wait their turn.
  bool may_send_now(NodeId node) const {
    const auto& budget = memory::Budget::instance();
    const std::uint64_t headroom = budget.limit() > budget.target() ? budget.limit() - budget.target() : 0;
    const std::uint64_t in_flight = net_.value_bytes_in_flight();
    return in_flight == 0 || in_flight + results_.nbytes(node) <= headroom;
  }

  bool send_waiting_pushes() {
    bool any = false;
    while (!waiting_pushes_.empty() && may_send_now(waiting_pushes_.front().first)) {
      auto [node, target] = waiting_pushes_.front();
      waiting_pushes_.pop_front();
      send_now(node, target);
      any = true;
    }
    return any;
  }

  void push(NodeId node, int target) {
    if (waiting_pushes_.empty() && (target == me_ || may_send_now(node))) {
      send_now(node, target);
    } else {
      waiting_pushes_.emplace_back(node, target);
    }
  }

  void send_now(NodeId node, int target) {
    if (!results_.has(node)) {
      ErrorInfo e;
      e.kind = ErrorKind::comm;
      e.message = "rank " + std::to_string(me_) + " was asked to send " + graph_.node(node).key.str() + " to rank " +
                  std::to_string(target) + ", but does not hold it (scheduler bookkeeping error)";
      e.rank = me_;
      report_error(std::move(e));
      return;
    }
    try {
      net_.send_value(target, node, results_.get(node), graph_.node(node).key);
    } catch (const Error& e) {
      ErrorInfo info = e.info();
      info.rank = me_;
      report_error(std::move(info));
    }
  }

  void on_finish(ByteReader& in) {
    auto n = in.get<std::uint32_t>();
    output_holder_.resize(n);
    output_nbytes_.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      output_holder_[i] = in.get<std::int32_t>();
      output_nbytes_[i] = in.get<std::uint64_t>();
      if (in.get<std::uint8_t>()) {
        std::uint64_t bytes = 0;
        Value value = get_inline_value(in, &bytes);
        if (!value) continue;  // too large or cannot travel: broadcast (or its error) after the run
        if (!results_.has(outputs_[i])) {
          store(outputs_[i], std::move(value));
          inline_bytes_received_ += bytes;
        }
        output_holder_[i] = everywhere;  // every rank has it now
      }
    }
    if (in.get<std::uint8_t>()) {
      placement_.resize(graph_.size());
      for (auto& r : placement_) r = in.get<std::int32_t>();
      completed_order_.resize(in.get<std::uint32_t>());
      for (auto& id : completed_order_) id = in.get<NodeId>();
    }
    finished_ = true;
  }

  // Received results; storing one may spill others, and a spill that fails ends the run.
  void store(NodeId node, Value value) {
    if (results_.has(node)) return;
    try {
      results_.put(node, std::move(value), /*spillable=*/!is_output_[node]);
    } catch (const Error& e) {
      ErrorInfo info = e.info();
      info.rank = me_;
      report_error(std::move(info));
    }
  }

  void free_result(NodeId node) {
    if (results_.has(node) && !(graph_.node(node).is_data())) {
      results_.erase(node);
    }
  }

  // ---- every rank: the workers ----------------------------------------------------------
  void make_runnable(NodeId task) {
    {
      std::lock_guard lock(run_mutex_);
      runnable_.push_back(task);
      queued_.fetch_add(1, std::memory_order_release);
    }
    if (sleeping_workers_.load(std::memory_order_acquire) > 0) run_ready_.notify_one();
  }

  void stop_workers() {
    stop_requested_.store(true, std::memory_order_release);
    {
      std::lock_guard lock(run_mutex_);
      stopping_ = true;
    }
    run_ready_.notify_all();
  }

  // Waits for a task. An idle worker yields for a few milliseconds before it
  // sleeps: waking a sleeping thread costs tens of microseconds on this kind
  // of VM, more than most transfers of a megabyte.
  bool next_runnable(NodeId& task) {
    const auto spin_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2);
    while (queued_.load(std::memory_order_acquire) == 0 && !stop_requested_.load(std::memory_order_acquire) &&
           std::chrono::steady_clock::now() < spin_until) {
      std::this_thread::yield();
    }
    std::unique_lock lock(run_mutex_);
    sleeping_workers_.fetch_add(1, std::memory_order_acq_rel);
    run_ready_.wait(lock, [this] { return stopping_ || !runnable_.empty(); });
    sleeping_workers_.fetch_sub(1, std::memory_order_acq_rel);
    if (stopping_) return false;
    task = runnable_.front();
    runnable_.pop_front();
    queued_.fetch_sub(1, std::memory_order_release);
    return true;
  }

  // A task holds handles to its inputs while it runs, so they are not spilled under it.
  void work_loop() {
    std::vector<Value> inputs;
    std::vector<const Value*> args;
    for (;;) {
      NodeId task;
      if (!next_runnable(task)) return;
      const auto& node = graph_.node(task);
      Completion done{task, std::nullopt};
      try {
        inputs.clear();
        for (NodeId dep : graph_.deps(task)) inputs.push_back(results_.get(dep));
        args.clear();
        for (const Value& input : inputs) args.push_back(&input);
        Value result = graph::run_task(node, TaskArgs(args.data(), args.size()));
        inputs.clear();
        if (persist_ && is_output_[task]) {
          results_.put_persisted(task, PersistedValue(std::move(result), node.key.str()));
        } else {
          results_.put(task, std::move(result), /*spillable=*/!is_output_[task]);
        }
      } catch (...) {
        inputs.clear();
        done.error = graph::task_error_info(node.key, std::current_exception());
        done.error->rank = me_;
      }
      std::lock_guard lock(done_mutex_);
      completed_.push_back(std::move(done));
    }
  }

  // Hands finished tasks to the scheduler: directly on rank 0, in one message elsewhere.
  bool drain_completions() {
    {
      std::lock_guard lock(done_mutex_);
      if (completed_.empty()) return false;
      std::swap(completed_, draining_);
    }
    std::vector<std::byte> body;
    ByteWriter out(body);
    std::uint32_t count = 0;
    for (const auto& c : draining_) count += c.error ? 0 : 1;
    out.put(count);
    const auto& budget = memory::Budget::instance();  // this rank's memory, for rank 0's progress display
    out.put(budget.tracked());
    out.put(budget.spilled_now());
    for (auto& c : draining_) {
      if (c.error) {
        report_error(std::move(*c.error));
        continue;
      }
      ++tasks_run_;
      const std::uint64_t nbytes = results_.nbytes(c.node);
      if (me_ == 0) {
        on_done(0, c.node, nbytes);
      } else {
        out.put(c.node);
        out.put(nbytes);
        const bool output = !persist_ && is_output_[c.node];
        out.put(static_cast<std::uint8_t>(output));
        if (output) put_inline_value(out, results_.get(c.node), inline_value_bytes);
      }
    }
    draining_.clear();
    if (me_ != 0 && count) net_.send_control(0, MessageKind::done, std::move(body));
    return true;
  }

  void report_error(ErrorInfo error) {
    if (me_ == 0) {
      on_error(std::move(error));
      return;
    }
    std::vector<std::byte> body;
    ByteWriter out(body);
    out.put(error);
    net_.send_control(0, MessageKind::error, std::move(body));
  }

  // ---- rank 0: the scheduler ------------------------------------------------------------
  void init_scheduler() {
    const std::size_t n = graph_.size();
    remaining_.assign(n, 0);
    consumers_.assign(n, 0);
    holders_.assign(n, {});
    nbytes_.assign(n, 0);
    placement_.assign(n, -1);
    load_.assign(ranks_, 0);
    done_flags_ = std::make_unique<std::atomic<std::uint8_t>[]>(n);
    memory_reports_ = std::make_unique<std::atomic<std::uint64_t>[]>(2 * static_cast<std::size_t>(ranks_));
    priority_ = graph::order_of(graph_, outputs_);  // both kept with the graph for its next run
    dependents_ = graph::dependents_of(graph_);
    for (NodeId id = 0; id < n; ++id) {
      remaining_[id] = static_cast<std::uint32_t>(graph_.deps(id).size());
      consumers_[id] = static_cast<std::uint32_t>(dependents_->of(id).size());
    }
    for (NodeId out : outputs_) ++consumers_[out];
    for (NodeId id = 0; id < n; ++id) {
      const auto& node = graph_.node(id);
      if (node.is_data()) {
        holders_[id].push_back(node.location);  // everywhere (-1) or its one rank
        nbytes_[id] = node.location == everywhere ? 0 : node.nbytes;
        for (NodeId user : dependents_->of(id)) --remaining_[user];
      } else {
        ++tasks_left_;
      }
    }
    home_.assign(n, 0);
    int next_home = 0;
    for (NodeId id = 0; id < n; ++id) {
      if (graph_.node(id).is_data() || !graph_.deps(id).empty()) continue;
      home_[id] = next_home;
      next_home = next_home + 1 == ranks_ ? 0 : next_home + 1;
    }
    for (NodeId id = 0; id < n; ++id) {
      if (!graph_.node(id).is_data() && remaining_[id] == 0) ready_.push({(*priority_)[id], id});
    }
    capacity_.resize(ranks_);
    for (int r = 0; r < ranks_; ++r) capacity_[r] = std::max(2u, slots_per_thread * net_.threads_per_rank()[r]);
    bytes_on_.assign(ranks_, 0);
    if (ranks_ > set_above_ranks) {
      for (int r = 0; r < ranks_; ++r) free_ranks_.insert({0.0, r});
    }
    ranks_with_free_slots_ = ranks_;
    batches_.resize(ranks_);
    batch_counts_.assign(ranks_, 0);
    push_batches_.resize(ranks_);
    push_counts_.assign(ranks_, 0);
    if (tasks_left_ == 0) finish();
  }

  bool holds(NodeId id, int rank) const {
    const auto& h = holders_[id];
    return std::find(h.begin(), h.end(), rank) != h.end() || (!h.empty() && h[0] == everywhere);
  }

  // Where `task` should run: among ranks with a free slot, the one with most
  // of its input bytes (or preferred by its annotations, weighted by its
  // expected size), else the least loaded; -1 if none is free. Only ranks
  // that hold an input or are preferred can beat the least loaded one, so
  // this costs O(inputs + log ranks), not O(ranks).
  int place(NodeId task) {
    const TaskAnnotations& hints = graph_.node(task).annotations;
    if (int only = hints.restricted_to; only >= 0) return load_[only] < capacity_[only] ? only : -1;
    auto credit = [&](int r, std::uint64_t bytes) {
      if (r < 0 || r >= ranks_ || bytes == 0) return;
      if (bytes_on_[r] == 0) candidates_.push_back(r);
      bytes_on_[r] += bytes;
    };
    for (NodeId dep : graph_.deps(task)) {
      for (int r : holders_[dep]) credit(r, nbytes_[dep]);
    }
    for (int r : hints.preferred_ranks) credit(r, std::max<std::uint64_t>(hints.expected_bytes, 1));
    int best = -1;
    for (int r : candidates_) {
      if (load_[r] >= capacity_[r]) continue;
      if (best < 0 || bytes_on_[r] > bytes_on_[best] || (bytes_on_[r] == bytes_on_[best] && less_loaded(r, best))) {
        best = r;
      }
    }
    for (int r : candidates_) bytes_on_[r] = 0;
    candidates_.clear();
    return best >= 0 ? best : least_loaded();
  }

  // The free rank with the lowest load over capacity (lowest number on a tie).
  // A scan is cheaper than keeping a sorted set up to a few dozen ranks.
  int least_loaded() const {
    if (ranks_ > set_above_ranks) return free_ranks_.empty() ? -1 : free_ranks_.begin()->second;
    int best = -1;
    for (int r = 0; r < ranks_; ++r) {
      if (load_[r] < capacity_[r] && (best < 0 || less_loaded(r, best))) best = r;
    }
    return best;
  }

  // Lower load over capacity, then the lower rank number.
  bool less_loaded(int a, int b) const {
    const auto left = std::uint64_t{load_[a]} * capacity_[b], right = std::uint64_t{load_[b]} * capacity_[a];
    return left < right || (left == right && a < b);
  }

  double load_ratio(int r) const { return static_cast<double>(load_[r]) / capacity_[r]; }

  // Keeps free_ranks_ (ranks with a free slot, least loaded first) in step with load_.
  void set_load(int r, unsigned load) {
    const bool was_free = load_[r] < capacity_[r];
    if (ranks_ > set_above_ranks && was_free) free_ranks_.erase({load_ratio(r), r});
    load_[r] = load;
    const bool free = load_[r] < capacity_[r];
    if (ranks_ > set_above_ranks && free) free_ranks_.insert({load_ratio(r), r});
    ranks_with_free_slots_ += static_cast<int>(free) - static_cast<int>(was_free);
  }

  // Root tasks (no task inputs: HDF5 reads, creations) whose results are
  // large are queued on a rank only up to its threads + 1, so that their
  // consumers run and free them before more roots start: with 8 slots a
  // thread, two ranks had read 16 of 24 chunks of 128 MiB before the first
  // reduction ran (1 GiB held per rank instead of 256 MiB, and spilling under
  // a 1 GiB limit). "Large" is unknown until a root finished, then >= 1 MiB on
  // average; small roots (a map of many quick tasks) are not held back.
  bool is_root(NodeId task) const {
    for (NodeId dep : graph_.deps(task)) {
      if (!graph_.node(dep).is_data()) return false;
    }
    return true;
  }
  bool holding_roots_back() const {
    return roots_done_ == 0 || root_bytes_done_ >= roots_done_ * (std::uint64_t{1} << 20);
  }
  bool root_room(int r) const { return r >= 0 && load_[r] < net_.threads_per_rank()[r] + 1; }

  bool schedule_ready() {
    bool any = false;
    deferred_.clear();
    // Roots held back earlier compete again by priority, as many as there is
    // room for (all of them once roots turn out small).
    if (!held_roots_.empty()) {
      std::size_t room = held_roots_.size();
      if (holding_roots_back()) {
        room = 0;
        for (int r = 0; r < ranks_; ++r) {
          const unsigned cap = net_.threads_per_rank()[r] + 1;
          room += load_[r] < cap ? cap - load_[r] : 0;
        }
      }
      for (; room > 0 && !held_roots_.empty(); --room) {
        ready_.push(held_roots_.top());
        held_roots_.pop();
      }
    }
    while (!ready_.empty() && ranks_with_free_slots_ > 0) {
      auto top = ready_.top();
      ready_.pop();
      int rank = place(top.second);
      const TaskAnnotations& hints = graph_.node(top.second).annotations;
      if (holding_roots_back() && graph_.deps(top.second).empty() && hints.restricted_to < 0 &&
          hints.preferred_ranks.empty()) {
        // A large root with nothing to say where: its home rank, round robin
        // over the roots in graph order (a layer's blocks in C order), so a
        // persisted array ends up spread evenly and later passes over it
        // share the work; it waits for room there.
        // A rank with nothing to do takes it rather than idle while the home is busy.
        int home = home_[top.second];
        if (!root_room(home) || load_[home] >= capacity_[home]) {
          const int idle = least_loaded();
          if (idle < 0 || load_[idle] != 0) {
            held_roots_.push(top);
            continue;
          }
          home = idle;
        }
        rank = home;
      } else if (rank >= 0 && holding_roots_back() && !root_room(rank) && is_root(top.second) &&
                 hints.restricted_to < 0) {
        const int other = least_loaded();
        if (!root_room(other)) {
          held_roots_.push(top);
          continue;
        }
        rank = other;
      }
      if (rank < 0) {  // restricted to a full rank: let the others pass
        deferred_.push_back(top);
        continue;
      }
      assign(top.second, rank);
      any = true;
    }
    for (const auto& d : deferred_) ready_.push(d);
    flush_assignments();
    return any;
  }

  // Appends `task` to `rank`'s batch, and asks the holder of each input the
  // rank lacks to send it there now (one hop less than the rank asking).
  // From then on the rank counts as a holder: later tasks there wait for the
  // same copy instead of asking again.
  void assign(NodeId task, int rank) {
    placement_[task] = rank;
    set_load(rank, load_[rank] + 1);
    auto& body = batches_[rank];
    if (body.empty()) ByteWriter(body).put(std::uint32_t{0});  // the count, patched in flush
    ++batch_counts_[rank];
    ByteWriter(body).put(task);
    for (NodeId dep : graph_.deps(task)) {
      if (holds(dep, rank)) continue;
      const int source = holders_[dep][0];
      auto& pushes = push_batches_[source];
      if (pushes.empty()) ByteWriter(pushes).put(std::uint32_t{0});
      ++push_counts_[source];
      ByteWriter(pushes).put(dep);
      ByteWriter(pushes).put(static_cast<std::int32_t>(rank));
      holders_[dep].push_back(rank);
    }
  }

  static void send_batch(Network& net, int me, int dest, MessageKind kind, std::vector<std::byte>& body,
                         std::uint32_t& count, const std::function<void(ByteReader&)>& here) {
    if (count == 0) return;
    std::memcpy(body.data(), &count, sizeof count);
    if (dest == me) {
      ByteReader in(body);
      here(in);
    } else {
      net.send_control(dest, kind, std::move(body));
    }
    body.clear();
    count = 0;
  }

  void flush_assignments() {
    for (int r = 0; r < ranks_; ++r) {
      send_batch(net_, me_, r, MessageKind::push, push_batches_[r], push_counts_[r],
                 [this](ByteReader& in) { on_push(in); });
      send_batch(net_, me_, r, MessageKind::assign, batches_[r], batch_counts_[r],
                 [this](ByteReader& in) { on_assign(in); });
    }
  }

  void on_done(int rank, NodeId task, std::uint64_t nbytes) {
    if (finished_ || error_) return;
    set_load(rank, load_[rank] - 1);
    nbytes_[task] = nbytes;
    if (is_root(task)) {
      ++roots_done_;
      root_bytes_done_ += nbytes;
    }
    holders_[task].push_back(rank);
    done_flags_[task].store(1, std::memory_order_relaxed);
    tasks_done_.fetch_add(1, std::memory_order_relaxed);
    if (options_.record_schedule) completed_order_.push_back(task);
    for (NodeId dep : graph_.deps(task)) {
      const bool replicated = holders_[dep][0] == everywhere;
      if (--consumers_[dep] == 0 && !replicated && !graph_.node(dep).is_data()) release(dep);
    }
    for (NodeId user : dependents_->of(task)) {
      if (--remaining_[user] == 0) ready_.push({(*priority_)[user], user});
    }
    if (--tasks_left_ == 0) finish();
  }

  void release(NodeId node) {
    for (int r : holders_[node]) {
      if (r == me_) {
        free_result(node);
        continue;
      }
      std::vector<std::byte> body;
      ByteWriter out(body);
      out.put(std::uint32_t{1});
      out.put(node);
      net_.send_control(r, MessageKind::release, std::move(body));
    }
    holders_[node].clear();
  }

  void finish() {
    std::vector<std::byte> body;
    ByteWriter out(body);
    out.put(static_cast<std::uint32_t>(outputs_.size()));
    for (NodeId id : outputs_) {
      out.put(static_cast<std::int32_t>(holders_[id][0]));
      out.put(nbytes_[id]);
      const bool here = !persist_ && results_.has(id) && holders_[id][0] != everywhere;
      out.put(static_cast<std::uint8_t>(here));
      if (here) put_inline_value(out, results_.get(id), inline_value_bytes);
    }
    out.put(static_cast<std::uint8_t>(options_.record_schedule));
    if (options_.record_schedule) {
      for (int r : placement_) out.put(static_cast<std::int32_t>(r));
      out.put(static_cast<std::uint32_t>(completed_order_.size()));
      for (NodeId id : completed_order_) out.put(id);
    }
    for (int r = 1; r < ranks_; ++r) net_.send_control(r, MessageKind::finish, body);
    ByteReader in(body);
    on_finish(in);
  }

  void on_error(ErrorInfo error) {
    if (error_) return;  // the first error wins
    error_ = std::move(error);
    std::vector<std::byte> body;
    ByteWriter out(body);
    out.put(*error_);
    for (int r = 1; r < ranks_; ++r) net_.send_control(r, MessageKind::abort, body);
    finished_ = true;
  }

  ThreadPool* pool_;
  const Graph& graph_;
  std::vector<NodeId> outputs_;
  const ComputeOptions& options_;
  Network& net_;
  const bool persist_;
  const int me_, ranks_;

  // Every rank.
  ResultStore results_;
  InputWaits<NodeId> input_waits_;  // local tasks whose inputs are on their way
  std::deque<std::pair<NodeId, int>> waiting_pushes_;         // results to send when memory allows
  std::mutex run_mutex_;
  std::condition_variable run_ready_;
  std::deque<NodeId> runnable_;
  bool stopping_ = false;
  std::atomic<std::size_t> queued_{0};
  std::atomic<int> sleeping_workers_{0};
  std::atomic<bool> stop_requested_{false};
  std::mutex done_mutex_;
  std::vector<Completion> completed_, draining_;
  bool finished_ = false;
  std::optional<ErrorInfo> error_;
  // Results that go back to the caller (or stay, persisted). They are kept in
  // memory, not spilled: they outlive the run in memory anyway, and the
  // progress thread reads them at the end, where a failed read-back could
  // no longer end the run on every rank.
  std::vector<std::uint8_t> is_output_;
  std::uint64_t inline_bytes_received_ = 0;  // outputs that came inside control messages
  std::vector<int> output_holder_;
  std::vector<std::uint64_t> output_nbytes_;
  std::vector<int> placement_;
  std::vector<NodeId> completed_order_;
  std::size_t tasks_run_ = 0;

  // Rank 0.
  std::vector<std::uint32_t> remaining_, consumers_;
  std::shared_ptr<const std::vector<std::uint32_t>> priority_;
  std::vector<std::vector<int>> holders_;
  std::vector<std::uint64_t> nbytes_, bytes_on_;
  std::vector<unsigned> load_, capacity_;
  std::priority_queue<std::pair<std::uint32_t, NodeId>, std::vector<std::pair<std::uint32_t, NodeId>>,
                      std::greater<>>
      ready_;
  std::vector<std::pair<std::uint32_t, NodeId>> deferred_;
  std::priority_queue<std::pair<std::uint32_t, NodeId>, std::vector<std::pair<std::uint32_t, NodeId>>,
                      std::greater<>>
      held_roots_;  // roots waiting for room (see holding_roots_back)
  std::uint64_t roots_done_ = 0, root_bytes_done_ = 0;
  std::vector<int> home_;  // per task without inputs: the rank it goes to while roots are large
  std::vector<std::vector<std::byte>> batches_, push_batches_;
  std::vector<std::uint32_t> batch_counts_, push_counts_;
  std::shared_ptr<const graph::Dependents> dependents_;
  std::size_t tasks_left_ = 0;
  int ranks_with_free_slots_ = 0;
  std::set<std::pair<double, int>> free_ranks_;  // ranks with a free slot, by load over capacity
  std::vector<int> candidates_;                  // place(): ranks credited with bytes
  std::unique_ptr<std::atomic<std::uint8_t>[]> done_flags_;
  std::atomic<std::size_t> tasks_done_{0};
  std::unique_ptr<std::atomic<std::uint64_t>[]> memory_reports_;  // tracked, spilled per rank
};

}  // namespace

DistributedOutputs run_distributed(const Graph& graph, std::span<const NodeId> outputs,
                                   const ComputeOptions& options, Network& network, bool persist, ThreadPool* pool) {
  for (const auto& node : graph.nodes()) {
    const int restricted_to = node.annotations.restricted_to;
    if (restricted_to >= network.size()) {  // the same graph on every rank: every rank throws
      throw_error(ErrorKind::graph,
                  "task " + node.key.str() + " is restricted to rank " + std::to_string(restricted_to) +
                      ", but the job has " + std::to_string(network.size()) + " ranks",
                  "restrict it to a rank below " + std::to_string(network.size()));
    }
  }
  graph::prepare_crash_reports();
  network.check_same_graph(graph, persist ? "persist()" : "compute()");
  network.begin_run();
  memory::Budget::instance().reset_peak();
  DistributedRun run(graph, outputs, options, network, persist, pool);
  return run.run();
}

}  // namespace tessera::schedule
