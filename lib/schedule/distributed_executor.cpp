// The distributed scheduler (DESIGN.md §1-3, §6).
//
// Every rank holds the same graph (checked by fingerprint first). Rank 0
// decides where each task runs; every rank runs what it is given on its
// thread pool; results stay where they were made and move point to point
// from the rank that holds them to the rank that needs them.
//
// Threads: the calling thread is the progress thread (it alone talks to the
// network, and on rank 0 it also schedules); the pool's other workers run
// tasks from `runnable_` (runnable_queue.hpp) and hand back `completed_`.
//
// Policy on rank 0 (the placement itself: placement.cpp). A task is ready
// when its dependencies are done. Ready tasks are taken in the graph's
// memory-friendly order (graph/order.cpp) and placed on the rank that holds
// most of their input bytes, if that rank has a free slot, else on the least
// loaded rank with one. A rank has `slots_per_thread` slots per worker
// thread, so that assignments and completions travel in batches while no
// rank takes on much more than it can run. Rank 0 tracks every copy of every
// result (the producer's, and those fetched for consumers) and, once no
// remaining task needs a result, tells each holder to free it.
//
// Messages: see MessageKind, and protocol.hpp for their bodies. With each
// assignment, rank 0 asks the holder of every input the target lacks to push
// it there; data goes holder to target directly, never through rank 0.
//
// Errors: the first task error goes to rank 0, which sends `abort` to all;
// every rank stops starting tasks, waits for its running ones, and throws
// the same TaskError.
#include "schedule/distributed_executor.hpp"

#include <tessera/log.hpp>

#include "diagnostics/task_log.hpp"
#include "graph/crash_report.hpp"
#include "graph/derived.hpp"
#include "graph/task_error.hpp"
#include "memory/budget.hpp"
#include "schedule/exchange_router.hpp"
#include "schedule/input_waits.hpp"
#include "schedule/placement.hpp"
#include "schedule/root_gate.hpp"
#include "schedule/progress.hpp"
#include "schedule/protocol.hpp"
#include "schedule/result_store.hpp"
#include "schedule/runnable_queue.hpp"
#include "schedule/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>

namespace tessera::schedule {
namespace {

constexpr int everywhere = -1;

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
        results_(graph),
        exchanges_(graph, me_, ranks_),
        record_(diagnostics::recording()) {
    if (record_) received_from_.assign(graph.size(), -1);
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
    const std::uint64_t transferred_in = net_.value_bytes_received() - received_before;
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
      stats.bytes_transferred_in = transferred_in;
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
      busy |= finish_exchanges();
      busy |= drain_completions();
      busy |= send_waiting_pushes();
      busy |= send_exchange_pieces();
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
    runnable_.stop();
  }

  void handle(Message& msg) {
    switch (msg.kind) {
      case MessageKind::assign: on_assign(decode_body<AssignBatch>(msg.body)); break;
      case MessageKind::data:
        if (record_ && msg.source != me_) record_arrival(msg);
        if (exchanges_.is_sender(msg.node)) {
          exchanges_.received(msg.source, msg.node, msg.value);
        } else {
          on_data(msg.node, std::move(msg.value));
        }
        break;
      case MessageKind::exchange_end: {
        const auto end = decode_body<ExchangeEnd>(msg.body);
        exchanges_.ended(msg.source, end.exchange, end.pieces);
        break;
      }
      case MessageKind::push: on_push(decode_body<PushBatch>(msg.body)); break;
      case MessageKind::release:
        for (NodeId node : decode_body<ReleaseBatch>(msg.body).nodes) free_result(node);
        break;
      case MessageKind::done: {
        auto batch = decode_body<DoneBatch>(msg.body);
        inline_bytes_received_ += batch.inline_bytes;
        memory_reports_[2 * msg.source].store(batch.tracked_bytes, std::memory_order_relaxed);
        memory_reports_[2 * msg.source + 1].store(batch.spilled_bytes, std::memory_order_relaxed);
        for (auto& done : batch.tasks) {
          if (done.output) store(done.node, std::move(done.output));  // rank 0 now holds the output too
          on_done(msg.source, done.node, done.nbytes);
        }
        break;
      }
      case MessageKind::error: on_error(decode_body<ErrorReport>(msg.body).error); break;
      case MessageKind::abort:
        error_ = decode_body<Abort>(msg.body).error;
        finished_ = true;
        break;
      case MessageKind::finish: on_finish(decode_body<Finish>(msg.body)); break;
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
  void on_assign(const AssignBatch& batch) {
    for (NodeId task : batch.tasks) {
      if (exchanges_.is_exchange(task)) {  // every rank runs it: see finish_exchanges
        exchanges_.close(task);
        if (record_) waiting_since_.emplace(task, diagnostics::now());
        continue;
      }
      bool waits = false;
      for (NodeId dep : graph_.deps(task)) {
        if (results_.has(dep)) continue;
        input_waits_.wait(task, dep);
        if (record_) waiting_since_.emplace(dep, diagnostics::now());
        waits = true;
      }
      if (!waits) runnable_.push(task);
    }
  }

  void on_data(NodeId node, Value value) {
    store(node, std::move(value));
    input_waits_.arrived(node, [this](NodeId task) { runnable_.push(task); });
  }

  void on_push(const PushBatch& batch) {
    for (const auto& p : batch.pushes) push(p.node, p.target);
  }

  // A result being sent stays in memory until the send completes: beyond the
  // headroom between the spill target and the limit, pushes wait their turn.
  bool may_send_now(NodeId node) const { return may_send_bytes(results_.nbytes(node)); }
  bool may_send_bytes(std::uint64_t nbytes) const {
    const auto& budget = memory::Budget::instance();
    const std::uint64_t headroom = budget.limit() > budget.target() ? budget.limit() - budget.target() : 0;
    const std::uint64_t in_flight = net_.value_bytes_in_flight();
    return in_flight == 0 || in_flight + nbytes <= headroom;
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
    send_result(target, node, [&] { return results_.get(node); });
  }

  // Sends what `value()` gives, a result of `node` (whole, or an exchange
  // piece of it), to `dest` and records the transfer; reading it back from
  // spill or sending it may fail, which ends the run.
  template <class GetValue>
  void send_result(int dest, NodeId node, GetValue&& value) {
    try {
      const diagnostics::Ticks started = record_ ? diagnostics::now() : 0;
      const Value sent = value();
      net_.send_value(dest, node, sent, graph_.node(node).key);
      if (record_ && dest != me_) {
        diagnostics::record_transfer(graph_.node(node).key, me_, dest, sent.nbytes(), started, /*outgoing=*/true);
      }
    } catch (const Error& e) {
      ErrorInfo info = e.info();
      info.rank = me_;
      report_error(std::move(info));
    }
  }

  // Pieces of exchanges and their end markers, sent in order as memory allows
  // (the same headroom as pushes).
  bool send_exchange_pieces() {
    bool any = false;
    auto fits = [this](std::uint64_t nbytes) { return may_send_bytes(nbytes); };
    while (auto out = exchanges_.next_outgoing(fits)) {
      any = true;
      if (!out->piece) {
        send(out->dest, ExchangeEnd{out->exchange, out->pieces});
        continue;
      }
      send_result(out->dest, out->sender, [&] { return out->piece.get(); });
    }
    return any;
  }

  // An exchange whose pieces have all arrived is done on this rank: its inbox is its result here.
  bool finish_exchanges() {
    auto done = exchanges_.take_complete();
    if (done.empty()) return false;
    for (auto& [exchange, inbox] : done) {
      if (record_) {  // on this thread: the exchange is the progress thread's work
        auto since = waiting_since_.find(exchange);
        diagnostics::TaskClock::record_span(graph_.node(exchange).key,
                                            since != waiting_since_.end() ? since->second : diagnostics::now(),
                                            inbox.nbytes());
        if (since != waiting_since_.end()) waiting_since_.erase(since);
      }
      store(exchange, std::move(inbox));
      std::lock_guard lock(done_mutex_);
      completed_.push_back({exchange, std::nullopt});
    }
    return true;
  }

  void on_finish(Finish finish) {
    const std::size_t n = finish.outputs.size();
    output_holder_.resize(n);
    output_nbytes_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      auto& output = finish.outputs[i];
      output_holder_[i] = output.holder;
      output_nbytes_[i] = output.nbytes;
      if (!output.value) continue;  // too large or cannot travel: broadcast (or its error) after the run
      if (!results_.has(outputs_[i])) {
        store(outputs_[i], std::move(output.value));
        inline_bytes_received_ += output.inline_bytes;
      }
      output_holder_[i] = everywhere;  // every rank has it now
    }
    if (finish.schedule_recorded) {
      placement_ = std::move(finish.placement);
      completed_order_ = std::move(finish.completed_order);
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
  // A task holds handles to its inputs while it runs, so they are not spilled under it.
  void work_loop() {
    std::vector<Value> inputs;
    std::vector<const Value*> args;
    for (;;) {
      NodeId task;
      if (!runnable_.pop(task)) return;
      const auto& node = graph_.node(task);
      Completion done{task, std::nullopt};
      const diagnostics::TaskClock clock(record_);
      try {
        inputs.clear();
        for (NodeId dep : graph_.deps(task)) inputs.push_back(results_.get(dep));
        args.clear();
        for (const Value& input : inputs) args.push_back(&input);
        Value result = graph::run_task(node, TaskArgs(args.data(), args.size()));
        const std::uint64_t output_bytes = result.nbytes();
        const Fetched fetched = record_ ? fetched_inputs(task, inputs) : Fetched{};
        inputs.clear();
        if (exchanges_.is_sender(task)) {
          exchanges_.route(task, result);  // its pieces go to their parts' ranks, not into the store
        } else if (persist_ && is_output_[task]) {
          results_.put_persisted(task, PersistedValue(std::move(result), node.key.str()));
        } else {
          results_.put(task, std::move(result), /*spillable=*/!is_output_[task]);
        }
        if (record_) clock.record(node.key, output_bytes, fetched.bytes, fetched.from);
      } catch (...) {
        inputs.clear();
        done.error = graph::task_error_info(node.key, std::current_exception());
        done.error->rank = me_;
        if (record_) clock.record(node.key, 0, 0, -1, done.error->message);
      }
      std::lock_guard lock(done_mutex_);
      completed_.push_back(std::move(done));
    }
  }

  // ---- every rank: records (diagnostics/task_log.hpp) ------------------------------------
  // A result from another rank: the transfer as this rank saw it, from when
  // a task here first waited for it.
  void record_arrival(const Message& msg) {
    diagnostics::Ticks since = diagnostics::now();
    if (auto it = waiting_since_.find(msg.node); it != waiting_since_.end()) {
      since = it->second;
      waiting_since_.erase(it);
    }
    if (!exchanges_.is_sender(msg.node)) received_from_[msg.node] = msg.source;
    diagnostics::record_transfer(graph_.node(msg.node).key, msg.source, me_, msg.wire_bytes, since, /*outgoing=*/false);
  }

  // The bytes of a task's inputs that came from other ranks, and the rank that sent most of them.
  struct Fetched {
    std::uint64_t bytes = 0;
    int from = -1;
  };
  Fetched fetched_inputs(NodeId task, const std::vector<Value>& inputs) const {
    Fetched fetched;
    std::uint64_t most = 0;
    const auto deps = graph_.deps(task);
    for (std::size_t i = 0; i < deps.size(); ++i) {
      const int from = received_from_[deps[i]];
      if (from < 0) continue;
      const std::uint64_t n = inputs[i].nbytes();
      fetched.bytes += n;
      if (n >= most) {
        most = n;
        fetched.from = from;
      }
    }
    return fetched;
  }

  // Hands finished tasks to the scheduler: directly on rank 0, in one message elsewhere.
  bool drain_completions() {
    {
      std::lock_guard lock(done_mutex_);
      if (completed_.empty()) return false;
      std::swap(completed_, draining_);
    }
    DoneBatch batch;
    const auto& budget = memory::Budget::instance();  // this rank's memory, for rank 0's progress display
    batch.tracked_bytes = budget.tracked();
    batch.spilled_bytes = budget.spilled_now();
    for (auto& c : draining_) {
      if (c.error) {
        report_error(std::move(*c.error));
        continue;
      }
      ++tasks_run_;
      const std::uint64_t nbytes = results_.has(c.node) ? results_.nbytes(c.node) : 0;
      if (me_ == 0) {
        on_done(0, c.node, nbytes);
      } else {
        const bool output = !persist_ && is_output_[c.node];
        batch.tasks.push_back({c.node, nbytes, output ? results_.get(c.node) : Value()});
      }
    }
    draining_.clear();
    if (me_ != 0 && !batch.tasks.empty()) send(0, batch);
    return true;
  }

  void report_error(ErrorInfo error) {
    if (me_ == 0) {
      on_error(std::move(error));
      return;
    }
    send(0, ErrorReport{std::move(error)});
  }

  template <class M>
  void send(int dest, const M& message) {
    net_.send_control(dest, M::kind, encode_body(message));
  }

  // ---- rank 0: the scheduler ------------------------------------------------------------
  void init_scheduler() {
    const std::size_t n = graph_.size();
    remaining_.assign(n, 0);
    consumers_.assign(n, 0);
    holders_.assign(n, {});
    nbytes_.assign(n, 0);
    placement_.assign(n, -1);
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
    policy_.emplace(graph_, net_.threads_per_rank());
    gate_.emplace(graph_, *dependents_);
    for (NodeId id = 0; id < n; ++id) {
      if (!graph_.node(id).is_data() && remaining_[id] == 0) ready_.push({(*priority_)[id], id});
    }
    batches_.resize(ranks_);
    push_batches_.resize(ranks_);
    waiting_on_.resize(static_cast<std::size_t>(ranks_));
    if (tasks_left_ == 0) finish();
  }

  bool holds(NodeId id, int rank) const {
    const auto& h = holders_[id];
    return std::find(h.begin(), h.end(), rank) != h.end() || (!h.empty() && h[0] == everywhere);
  }

  bool schedule_ready() {
    bool any = false;
    deferred_.clear();
    // Tasks waiting for a slot on a rank: as many as it has free slots try
    // again, best first; while some rank idles, one more of any of them
    // (the idle rank may take it, away from its inputs).
    // This runs every turn of the progress loop: with nothing waiting (the
    // usual case) it costs no scan over the ranks.
    for (int r = 0; r < ranks_ && waiting_count_ > 0; ++r) {
      auto& waiting = waiting_on_[static_cast<std::size_t>(r)];
      for (std::size_t room = policy_->free_slots(r); room > 0 && !waiting.empty(); --room) {
        ready_.push(waiting.top());
        waiting.pop();
        --waiting_count_;
      }
    }
    if (waiting_count_ > 0 && policy_->any_idle_rank()) {
      for (auto& waiting : waiting_on_) {
        if (waiting.empty()) continue;
        ready_.push(waiting.top());
        waiting.pop();
        --waiting_count_;
      }
    }
    if (!held_roots_.empty()) {
      for (std::size_t room = policy_->held_roots_to_admit(held_roots_.size()); room > 0 && !held_roots_.empty();
           --room) {
        ready_.push(held_roots_.top());
        held_roots_.pop();
      }
    }
    while (!ready_.empty() && policy_->any_free_slot()) {
      auto top = ready_.top();
      ready_.pop();
      if (exchanges_.is_exchange(top.second)) {
        assign_everywhere(top.second);
        any = true;
        continue;
      }
      if (gate_->premature(top.second)) {
        gate_->park(top.second, top.first);
        continue;
      }
      const auto decision = policy_->decide(top.second, holders_, nbytes_);
      switch (decision.action) {
        case Placement::Decision::Action::hold: held_roots_.push(top); continue;
        case Placement::Decision::Action::defer:
          // Set aside until that rank frees a slot, so that a round does not
          // look at every waiting task again.
          if (decision.rank >= 0) {
            waiting_on_[static_cast<std::size_t>(decision.rank)].push(top);
            ++waiting_count_;
          } else {
            deferred_.push_back(top);
          }
          continue;
        case Placement::Decision::Action::run: break;
      }
      assign(top.second, decision.rank);
      any = true;
    }
    for (const auto& d : deferred_) ready_.push(d);
    // Parked roots whose consumers wait on each other: one runs when nothing else can.
    if (!any && ready_.empty() && held_roots_.empty() && gate_->any_parked() && policy_->idle()) {
      const NodeId root = *gate_->take_best();
      ready_.push({(*priority_)[root], root});
      return schedule_ready();
    }
    flush_assignments();
    return any;
  }

  // Appends `task` to `rank`'s batch, and asks the holder of each input the
  // rank lacks to send it there now (one hop less than the rank asking).
  // From then on the rank counts as a holder: later tasks there wait for the
  // same copy instead of asking again.
  void assign(NodeId task, int rank) {
    placement_[task] = rank;
    policy_->assigned(rank);
    batches_[rank].tasks.push_back(task);
    for (NodeId dep : graph_.deps(task)) {
      if (holds(dep, rank)) continue;
      const int source = holders_[dep][0];
      push_batches_[source].pushes.push_back({dep, rank});
      holders_[dep].push_back(rank);
    }
  }

  // An exchange runs on every rank at once (its senders' pieces are already
  // on their way); it is done when every rank has said so.
  void assign_everywhere(NodeId exchange) {
    placement_[exchange] = 0;
    exchange_ranks_done_[exchange] = 0;
    for (int r = 0; r < ranks_; ++r) {
      policy_->assigned(r);
      batches_[r].tasks.push_back(exchange);
    }
  }

  // Rank 0's own batches are handled at once, never encoded.
  void flush_assignments() {
    for (int r = 0; r < ranks_; ++r) {
      if (auto& pushes = push_batches_[r]; !pushes.pushes.empty()) {
        if (r == me_) on_push(pushes);
        else send(r, pushes);
        pushes.pushes.clear();
      }
      if (auto& batch = batches_[r]; !batch.tasks.empty()) {
        if (r == me_) on_assign(batch);
        else send(r, batch);
        batch.tasks.clear();
      }
    }
  }

  void on_done(int rank, NodeId task, std::uint64_t nbytes) {
    if (finished_ || error_) return;
    policy_->finished(rank, task, nbytes);
    nbytes_[task] = nbytes;
    holders_[task].push_back(rank);
    if (exchanges_.is_exchange(task) && ++exchange_ranks_done_[task] < static_cast<std::size_t>(ranks_)) return;
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
    released_roots_.clear();
    gate_->finished(task, released_roots_);
    for (NodeId root : released_roots_) ready_.push({(*priority_)[root], root});
    if (--tasks_left_ == 0) finish();
  }

  void release(NodeId node) {
    if (exchanges_.is_sender(node)) {  // its pieces went into the exchange: nothing is held
      holders_[node].clear();
      return;
    }
    for (int r : holders_[node]) {
      if (r == me_) {
        free_result(node);
        continue;
      }
      send(r, ReleaseBatch{{node}});
    }
    holders_[node].clear();
  }

  // Rank 0 reads its own `finish` back from the bytes it sends, so that it
  // takes exactly the outputs the others can take inline.
  void finish() {
    Finish message;
    for (NodeId id : outputs_) {
      const bool here = !persist_ && results_.has(id) && holders_[id][0] != everywhere;
      message.outputs.push_back({holders_[id][0], nbytes_[id], here ? results_.get(id) : Value()});
    }
    message.schedule_recorded = options_.record_schedule;
    if (options_.record_schedule) {
      message.placement = placement_;
      message.completed_order = completed_order_;
    }
    const auto body = encode_body(message);
    for (int r = 1; r < ranks_; ++r) net_.send_control(r, Finish::kind, body);
    on_finish(decode_body<Finish>(body));
  }

  void on_error(ErrorInfo error) {
    if (error_) return;  // the first error wins
    error_ = std::move(error);
    const auto body = encode_body(Abort{*error_});
    for (int r = 1; r < ranks_; ++r) net_.send_control(r, Abort::kind, body);
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
  ExchangeRouter exchanges_;
  InputWaits<NodeId> input_waits_;  // local tasks whose inputs are on their way
  std::deque<std::pair<NodeId, int>> waiting_pushes_;         // results to send when memory allows
  RunnableQueue runnable_;
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
  const bool record_;                   // task records, decided once per run
  std::vector<int> received_from_;      // per result received: the rank that sent it (when recording)
  std::map<NodeId, diagnostics::Ticks> waiting_since_;  // results (and exchanges) waited for since

  // Rank 0.
  std::vector<std::uint32_t> remaining_, consumers_;
  std::shared_ptr<const std::vector<std::uint32_t>> priority_;
  std::vector<std::vector<int>> holders_;
  std::vector<std::uint64_t> nbytes_;
  std::optional<Placement> policy_;
  std::priority_queue<std::pair<std::uint32_t, NodeId>, std::vector<std::pair<std::uint32_t, NodeId>>,
                      std::greater<>>
      ready_;
  std::vector<std::pair<std::uint32_t, NodeId>> deferred_;
  // Per rank: ready tasks waiting for a slot there (restricted to it, or 8 MiB of their inputs are there).
  std::vector<std::priority_queue<std::pair<std::uint32_t, NodeId>, std::vector<std::pair<std::uint32_t, NodeId>>,
                                  std::greater<>>>
      waiting_on_;
  std::size_t waiting_count_ = 0;  // tasks in waiting_on_, over all ranks
  std::priority_queue<std::pair<std::uint32_t, NodeId>, std::vector<std::pair<std::uint32_t, NodeId>>,
                      std::greater<>>
      held_roots_;  // roots waiting for room (Placement::holding_roots_back)
  std::optional<RootGate> gate_;  // roots waiting for their consumers' other inputs
  std::vector<NodeId> released_roots_;
  std::vector<AssignBatch> batches_;  // per rank: assignments made this round
  std::vector<PushBatch> push_batches_;  // per holder: pushes asked for this round
  std::shared_ptr<const graph::Dependents> dependents_;
  std::map<NodeId, std::size_t> exchange_ranks_done_;  // per exchange: the ranks where it is done
  std::size_t tasks_left_ = 0;
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
  const diagnostics::RunScope recorded(graph);
  const auto started = std::chrono::steady_clock::now();
  DistributedRun run(graph, outputs, options, network, persist, pool);
  auto out = run.run();
  if (network.rank() == 0 && log_enabled(LogLevel::info)) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    log(LogLevel::info, std::string(persist ? "persist(): " : "compute(): ")
                            .append(std::to_string(graph.size()))
                            .append(" nodes on ")
                            .append(std::to_string(network.size()))
                            .append(" ranks in ")
                            .append(std::to_string(seconds))
                            .append(" s"));
  }
  return out;
}

}  // namespace tessera::schedule
