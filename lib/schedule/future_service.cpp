// The futures service (include/tessera/detail/future_service.hpp).
//
// Threads: the service thread is worker 0 of the service's own pool and runs
// the progress loop for the service's whole life: it alone talks to the
// network, and on rank 0 it also schedules. The pool's other workers run
// tasks. Program threads add entries and ask for results through `inbox_`
// and wait on `changed_`.
//
// Rank 0 keeps, per entry, what the distributed scheduler keeps per node
// (inputs left, pending consumers, holders, size) plus the handles still
// held (one per rank until it drops its Future) and how far each rank has
// added entries: a task goes to a rank only once that rank has it too.
// Every completion is announced to every rank, in one order.
//
// Who frees a copy: rank 0 frees every copy it knows of (the producer's and
// those pushed to consumers) once no handle and no pending task needs it.
// Copies a rank got for itself (small results riding with an announcement,
// results it fetched for result()) are its own, freed when it drops its
// handle, unless a task assigned to it uses them: then rank 0 counts it as
// a holder (`tracked`) and frees it.
#include <tessera/detail/future_service.hpp>

#include "diagnostics/task_log.hpp"
#include "graph/task_error.hpp"
#include "memory/budget.hpp"
#include "schedule/inline_value.hpp"
#include "schedule/input_waits.hpp"
#include "schedule/network.hpp"
#include "schedule/thread_pool.hpp"

#include <tessera/compute.hpp>  // default_thread_count

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>
#include <unordered_map>

namespace tessera::detail {
namespace {

using schedule::Message;
using schedule::MessageKind;
using schedule::Network;
using schedule::get_inline_value;
using schedule::put_inline_value;

constexpr int everywhere = -1;
constexpr unsigned slots_per_thread = 8;
// Results up to this size ride with the completion announcement to every
// rank: result() then needs no fetch, and most futures return small values.
constexpr std::size_t inline_bytes = 256;

// One process, no MPI: messages to itself only.
class LocalNetwork final : public Network {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  const std::vector<unsigned>& threads_per_rank() const override { return threads_; }
  void check_same_graph(const Graph&, const char*) override {}
  std::string broadcast_text(const std::string& text, int, const char*) override { return text; }
  void begin_run() override {}
  void end_run(bool) override { queue_.clear(); }
  void broadcast_outputs(std::span<Value>, std::span<const int>, std::span<const Key>) override {}
  void send_control(int, MessageKind kind, std::vector<std::byte> body) override {
    Message m;
    m.source = 0;
    m.kind = kind;
    m.body = std::move(body);
    queue_.push_back(std::move(m));
  }
  void send_value(int, NodeId node, const Value& value, const Key&) override {
    Message m;
    m.source = 0;
    m.kind = MessageKind::data;
    m.node = node;
    m.value = value;
    queue_.push_back(std::move(m));
  }
  bool poll(Message& out) override {
    if (queue_.empty()) return false;
    out = std::move(queue_.front());
    queue_.pop_front();
    return true;
  }
  std::uint64_t value_bytes_received() const override { return 0; }
  std::unique_ptr<Network> duplicate() override { return std::make_unique<LocalNetwork>(); }

 private:
  std::vector<unsigned> threads_{default_thread_count()};
  std::deque<Message> queue_;
};

// Entry numbers travel as NodeIds in data messages: 2^32 entries per service.
NodeId as_node(std::uint64_t entry) { return static_cast<NodeId>(entry); }

class Service final : public FutureService {
 public:
  Service(std::unique_ptr<Network> owned, Network* network, bool threaded)
      : owned_(std::move(owned)), net_(*network), me_(net_.rank()), n_(net_.size()), threaded_(threaded) {
    table_.emplace_back();  // entries count from 1
    added_by_.assign(static_cast<std::size_t>(n_), 0);
    load_.assign(static_cast<std::size_t>(n_), 0);
    capacity_.resize(static_cast<std::size_t>(n_));
    for (int r = 0; r < n_; ++r) capacity_[r] = std::max(2u, slots_per_thread * net_.threads_per_rank()[r]);
    net_.begin_run();
    if (threaded_) {
      const unsigned threads = net_.threads_per_rank()[me_];
      pool_ = std::make_unique<schedule::ThreadPool>(threads + 1);
      thread_ = std::thread([this] { serve(); });
    }
  }

  ~Service() override { stop(); }

  // Collective: every rank's program shuts down; the services end together.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stop_requested_) return;
      stop_requested_ = true;
      inbox_.push_back({Op::stop, 0, {}});
    }
    if (threaded_) {
      if (thread_.joinable()) thread_.join();
    } else {
      std::lock_guard driving(step_mutex_);
      while (!exit_) step();
      net_.end_run(/*clean=*/false);
    }
  }

  int rank() const override { return me_; }
  int ranks() const override { return n_; }

  std::uint64_t add(ServiceEntry entry) override {
    std::uint64_t number;
    {
      std::lock_guard lock(mutex_);
      number = ++added_;
      status_.resize(std::max<std::size_t>(status_.size(), number + 1));
      inbox_.push_back({Op::add, number, std::move(entry)});
    }
    wake();
    return number;
  }

  void release(std::uint64_t entry) override {
    {
      std::lock_guard lock(mutex_);
      if (stop_requested_) return;
      inbox_.push_back({Op::release, entry, {}});
    }
    wake();
  }

  void cancel(std::uint64_t entry) override {
    {
      std::lock_guard lock(mutex_);
      if (stop_requested_) return;
      inbox_.push_back({Op::cancel, entry, {}});
    }
    wake();
  }

  EntryStatus status(std::uint64_t entry) override {
    std::lock_guard lock(mutex_);
    throw_if_failed();
    return entry < status_.size() ? status_[entry] : EntryStatus{};
  }

  void wait(std::span<const std::uint64_t> entries) override {
    std::unique_lock lock(mutex_);
    wait_until(lock, [&] {
      return std::all_of(entries.begin(), entries.end(), [&](std::uint64_t e) { return status_[e].done; });
    });
  }

  std::size_t wait_next(std::span<const std::uint64_t> entries, const std::vector<bool>& taken) override {
    std::unique_lock lock(mutex_);
    std::size_t best = entries.size();
    wait_until(lock, [&] {
      for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto& s = status_[entries[i]];
        if (!taken[i] && s.done && (best == entries.size() || s.order < status_[entries[best]].order)) best = i;
      }
      return best < entries.size();
    });
    return best;
  }

  std::vector<Value> values(std::span<const std::uint64_t> entries) override {
    wait(entries);
    {
      std::lock_guard lock(mutex_);
      for (std::uint64_t e : entries) {
        if (!has_local(e) && status_[e].holder != me_ && status_[e].holder != everywhere) {
          inbox_.push_back({Op::fetch, e, {}});
        }
      }
    }
    wake();
    std::vector<Value> out(entries.size());
    std::unique_lock lock(mutex_);
    wait_until(lock, [&] {
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (!out[i]) out[i] = local_value(entries[i]);
        if (!out[i]) return false;
      }
      return true;
    });
    return out;
  }

 private:
  enum class Op { add, release, fetch, cancel, stop };
  struct Request {
    Op op;
    std::uint64_t entry;
    ServiceEntry added;
  };
  struct Slot {  // a result this rank holds (or a placeholder for one it is owed)
    Value value;
    bool tracked = false;  // rank 0 counts this rank as a holder and will free it
  };
  struct Runnable {
    std::uint64_t entry;
    TaskFunction fn;
    std::vector<std::uint64_t> deps;
    Key key;
  };
  struct Finished {
    std::uint64_t entry;
    std::uint64_t nbytes;
  };

  // ---- program threads ------------------------------------------------------------------
  template <class Ready>
  void wait_until(std::unique_lock<std::mutex>& lock, Ready ready) {
    for (;;) {
      throw_if_failed();
      if (threaded_) {
        // Counted before `ready` is checked again: a notifier that finds no
        // waiter changed the state before that check, which then sees it.
        ++program_waiters_;
        if (ready()) {
          --program_waiters_;
          return;
        }
        changed_.wait_for(lock, std::chrono::milliseconds(50));  // the bound only guards against a missed wake
        --program_waiters_;
      } else {  // no service thread (MPI without THREAD_MULTIPLE): the waiting thread drives it
        if (ready()) return;
        lock.unlock();
        {
          std::lock_guard driving(step_mutex_);
          step();
        }
        lock.lock();
      }
    }
  }

  void throw_if_failed() const {
    if (failed_) throw_error(*failed_);
  }

  // Under mutex_ or store_mutex_ as noted.
  bool has_local(std::uint64_t e) {
    std::lock_guard lock(store_mutex_);
    auto it = store_.find(e);
    return it != store_.end() && it->second.value;
  }
  Value local_value(std::uint64_t e) {
    std::lock_guard lock(store_mutex_);
    auto it = store_.find(e);
    return it == store_.end() ? Value() : it->second.value;
  }

  // Something for the service thread: a futex wake only if it sleeps.
  void wake() {
    ++work_posted_;
    if (!service_sleeping_.load()) return;
    std::lock_guard lock(wake_mutex_);
    woken_ = true;
    wake_cv_.notify_one();
  }

  // Program threads wait on changed_; notify only when one does. Taking
  // mutex_ orders this after a waiter's last look at the state.
  void notify_waiters() {
    if (program_waiters_.load() == 0) return;
    { std::lock_guard lock(mutex_); }
    changed_.notify_all();
  }

  // ---- the store ------------------------------------------------------------------------
  void store(std::uint64_t e, Value value, bool tracked) {
    {
      std::lock_guard lock(store_mutex_);
      Slot& slot = store_[e];
      slot.tracked |= tracked;
      if (slot.value) return;
      memory::Budget::instance().add(value.nbytes());
      slot.value = std::move(value);
    }
    notify_waiters();
  }
  void erase(std::uint64_t e) {
    std::lock_guard lock(store_mutex_);
    auto it = store_.find(e);
    if (it == store_.end()) return;
    memory::Budget::instance().sub(it->second.value.nbytes());
    store_.erase(it);
  }
  void drop_own_copy(std::uint64_t e) {
    std::lock_guard lock(store_mutex_);
    auto it = store_.find(e);
    if (it == store_.end() || it->second.tracked) return;
    memory::Budget::instance().sub(it->second.value.nbytes());
    store_.erase(it);
  }

  // ---- the service thread ---------------------------------------------------------------
  void serve() {
    pool_->run([this](unsigned worker) {
      if (worker == 0) {
        while (!exit_) {
          step();
          idle();
        }
        stop_workers();
      } else {
        work_loop();
      }
    });
    net_.end_run(/*clean=*/false);  // every rank gets here: drain what is still in flight
  }

  // Yields for 300 us after activity (message latency of microseconds),
  // then sleeps in steps that grow to 2 ms: an idle service costs almost
  // nothing, and a submit wakes it at once. A longer yield window took cores
  // from the workers: 10k futures on 2 ranks ran at 19-21 us/task with 3 ms,
  // 16-17 with 300 us.
  void idle() {
    using Clock = std::chrono::steady_clock;
    if (busy_) {
      last_activity_ = Clock::now();
      idle_sleep_ = std::chrono::microseconds(50);
      return;
    }
    if (Clock::now() - last_activity_ < std::chrono::microseconds(300)) {
      std::this_thread::yield();
      return;
    }
    std::unique_lock lock(wake_mutex_);
    service_sleeping_ = true;
    if (work_posted_.load() == work_seen_) {  // nothing posted since the last step began: sleep
      wake_cv_.wait_for(lock, idle_sleep_, [this] { return woken_; });
    }
    service_sleeping_ = false;
    woken_ = false;
    idle_sleep_ = std::min(idle_sleep_ * 2, std::chrono::microseconds(2000));
  }

  void step() {
    busy_ = false;
    work_seen_ = work_posted_.load();
    try {
      take_requests();
      Message msg;
      while (!exit_ && net_.poll(msg)) {
        handle(msg);
        busy_ = true;
      }
      if (!threaded_) run_inline();
      drain_finished();
      if (me_ == 0) schedule_ready();
      flush();
    } catch (const Error& e) {
      fail(e.info());
    }
  }

  void fail(ErrorInfo info) {
    if (info.rank < 0) info.rank = me_;
    if (!failed_) {
      std::vector<std::byte> body;
      ByteWriter(body).put(info);
      for (int r = 0; r < n_; ++r) {
        if (r == me_) continue;
        try {
          net_.send_control(r, MessageKind::abort, body);
        } catch (const Error&) {
        }
      }
    }
    std::lock_guard lock(mutex_);
    if (!failed_) failed_ = std::move(info);
    exit_ = true;
    changed_.notify_all();
  }

  void take_requests() {
    std::deque<Request> requests;
    {
      std::lock_guard lock(mutex_);
      requests.swap(inbox_);
    }
    for (auto& r : requests) {
      busy_ = true;
      switch (r.op) {
        case Op::add: on_add(r.entry, std::move(r.added)); break;
        case Op::release:
          drop_own_copy(r.entry);
          if (me_ == 0) {
            on_dropped(r.entry);
          } else {
            dropped_.push_back(r.entry);
          }
          break;
        case Op::fetch: {
          const int holder = status(r.entry).holder;
          if (!has_local(r.entry)) fetches_[holder].push_back(r.entry);
          break;
        }
        case Op::cancel:
          if (me_ == 0) {
            on_cancel(r.entry);
          } else {
            cancels_.push_back(r.entry);
          }
          break;
        case Op::stop:
          if (me_ == 0) {
            on_stopping();
          } else {
            net_.send_control(0, MessageKind::stopping, {});
          }
          break;
      }
    }
  }

  void on_add(std::uint64_t e, ServiceEntry entry) {
    if (!entry.fn && (entry.location == everywhere || entry.location == me_)) {
      store(e, entry.data, /*tracked=*/true);
    }
    entry.data = Value();
    table_.push_back(std::move(entry));
    if (!deferred_sends_.empty()) {
      auto waiting = std::move(deferred_sends_);
      deferred_sends_.clear();
      for (auto [entry_number, target] : waiting) send_result(entry_number, target);
    }
    if (me_ == 0) {
      sched_add(e);
    } else {
      report_added_ = true;
    }
  }

  void handle(Message& msg) {
    ByteReader in(msg.body);
    switch (msg.kind) {
      case MessageKind::assign:
        for (std::uint64_t e : read_entries(in)) on_assign(e);
        break;
      case MessageKind::push: {
        auto count = in.get<std::uint32_t>();
        for (std::uint32_t i = 0; i < count; ++i) {
          const auto e = in.get<std::uint64_t>();
          send_result(e, in.get<std::int32_t>());
        }
        break;
      }
      case MessageKind::fetch:
        for (std::uint64_t e : read_entries(in)) send_result(e, msg.source);
        break;
      case MessageKind::data: on_data(msg.node, std::move(msg.value)); break;
      case MessageKind::release:
        for (std::uint64_t e : read_entries(in)) erase(e);
        break;
      case MessageKind::done: {
        auto count = in.get<std::uint32_t>();
        for (std::uint32_t i = 0; i < count; ++i) {
          const auto e = in.get<std::uint64_t>();
          const auto nbytes = in.get<std::uint64_t>();
          Value small = get_inline_value(in);
          on_done(msg.source, e, nbytes, std::move(small));
        }
        break;
      }
      case MessageKind::completed: on_completed(in); break;
      case MessageKind::added: {
        auto& added = added_by_[msg.source];
        added = std::max(added, in.get<std::uint64_t>());
        break;
      }
      case MessageKind::dropped:
        for (std::uint64_t e : read_entries(in)) on_dropped(e);
        break;
      case MessageKind::stopping: on_stopping(); break;
      case MessageKind::cancel:
        for (std::uint64_t e : read_entries(in)) on_cancel(e);
        break;
      case MessageKind::abort: {
        std::lock_guard lock(mutex_);
        if (!failed_) failed_ = in.get<ErrorInfo>();
        exit_ = true;
        changed_.notify_all();
        break;
      }
      case MessageKind::finish: exit_ = true; break;
      default: break;
    }
  }

  // A task for this rank: its inputs are here, or on their way (rank 0 asked
  // their holders to push them when it assigned the task).
  void on_assign(std::uint64_t e) {
    bool waits = false;
    for (std::uint64_t dep : table_[e].deps) {
      bool here;
      {
        std::lock_guard lock(store_mutex_);
        Slot& slot = store_[dep];
        slot.tracked = true;  // rank 0 counts this rank as a holder from now on
        here = static_cast<bool>(slot.value);
      }
      if (here) continue;
      input_waits_.wait(e, dep);
      waits = true;
    }
    if (!waits) make_runnable(e);
  }

  void on_data(NodeId node, Value value) {
    const std::uint64_t e = node;
    store(e, std::move(value), /*tracked=*/false);
    input_waits_.arrived(e, [this](std::uint64_t task) { make_runnable(task); });
  }

  // A result to another rank: as itself, or, if it cannot travel, as the
  // error that says so, which fails whoever needed it instead of hanging.
  void send_result(std::uint64_t e, int target) {
    if (e >= table_.size()) {  // a value this rank has not added yet (its program is behind): send it then
      deferred_sends_.emplace_back(e, target);
      return;
    }
    const Key& key = table_[e].key;
    Value value = local_value(e);
    if (!value) {
      ErrorInfo info;
      info.kind = ErrorKind::comm;
      info.rank = me_;
      info.key = key.str();
      info.message = "rank " + std::to_string(me_) + " was asked for the result of " + info.key + ", which it does not hold";
      value = Value::of(FutureError{std::move(info)});
    }
    try {
      net_.send_value(target, as_node(e), value, key);
    } catch (const Error& error) {
      ErrorInfo info = error.info();
      info.rank = me_;
      if (info.key.empty()) info.key = key.str();
      net_.send_value(target, as_node(e), Value::of(FutureError{std::move(info)}), key);
    }
  }

  void on_completed(ByteReader& in) {
    auto count = in.get<std::uint32_t>();
    for (std::uint32_t i = 0; i < count; ++i) {
      const auto e = in.get<std::uint64_t>();
      EntryStatus s;
      s.done = true;
      s.holder = in.get<std::int32_t>();
      s.order = in.get<std::uint64_t>();
      Value small = get_inline_value(in);
      if (small) store(e, std::move(small), /*tracked=*/false);
      std::lock_guard lock(mutex_);
      status_.resize(std::max<std::size_t>(status_.size(), e + 1));
      status_[e] = s;
    }
    notify_waiters();
  }

  // ---- workers --------------------------------------------------------------------------
  void make_runnable(std::uint64_t e) {
    Runnable task{e, table_[e].fn, table_[e].deps, table_[e].key};
    {
      std::lock_guard lock(run_mutex_);
      runnable_.push_back(std::move(task));
      queued_.fetch_add(1);
    }
    if (sleeping_workers_.load() > 0) run_ready_.notify_one();
  }

  void stop_workers() {
    stop_workers_flag_ = true;
    {
      std::lock_guard lock(run_mutex_);
      stopping_workers_ = true;
    }
    run_ready_.notify_all();
  }

  void work_loop() {
    for (;;) {
      Runnable task;
      // Yield for a moment before sleeping: waking a sleeping thread costs
      // more than a small task.
      const auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(500);
      while (queued_.load() == 0 && !stop_workers_flag_.load() && std::chrono::steady_clock::now() < spin_until) {
        std::this_thread::yield();
      }
      {
        std::unique_lock lock(run_mutex_);
        ++sleeping_workers_;
        run_ready_.wait(lock, [this] { return stopping_workers_ || !runnable_.empty(); });
        --sleeping_workers_;
        if (stopping_workers_) return;
        task = std::move(runnable_.front());
        runnable_.pop_front();
        queued_.fetch_sub(1);
      }
      run(task);
      wake();
    }
  }

  // Without a service thread, the thread that waits runs the tasks.
  void run_inline() {
    for (;;) {
      Runnable task;
      {
        std::lock_guard lock(run_mutex_);
        if (runnable_.empty()) return;
        task = std::move(runnable_.front());
        runnable_.pop_front();
        queued_.fetch_sub(1);
      }
      run(task);
      busy_ = true;
    }
  }

  void run(const Runnable& task) {
    Value result;
    const bool record = diagnostics::recording();  // futures have no run: each task asks
    const diagnostics::TaskClock clock(record);
    std::string error;
    try {
      std::vector<Value> inputs;
      std::vector<const Value*> args;
      for (std::uint64_t dep : task.deps) inputs.push_back(local_value(dep));
      for (const Value& v : inputs) args.push_back(&v);
      result = task.fn(TaskArgs(args.data(), args.size()), task.key);
    } catch (...) {
      ErrorInfo info = graph::task_error_info(task.key, std::current_exception());
      if (record) error = info.message;
      result = Value::of(FutureError{std::move(info)});
    }
    const std::uint64_t nbytes = result.nbytes();
    store(task.entry, std::move(result), /*tracked=*/true);
    if (record) clock.record(task.key, error.empty() ? nbytes : 0, 0, -1, std::move(error));
    std::lock_guard lock(finished_mutex_);
    finished_.push_back({task.entry, nbytes});
  }

  void drain_finished() {
    std::vector<Finished> finished;
    {
      std::lock_guard lock(finished_mutex_);
      finished.swap(finished_);
    }
    if (finished.empty()) return;
    busy_ = true;
    if (me_ == 0) {
      for (const auto& f : finished) on_done(0, f.entry, f.nbytes, Value());
      return;
    }
    std::vector<std::byte> body;
    ByteWriter out(body);
    out.put(static_cast<std::uint32_t>(finished.size()));
    for (const auto& f : finished) {
      out.put(f.entry);
      out.put(f.nbytes);
      if (table_[f.entry].has_handle) {
        put_inline_value(out, local_value(f.entry), inline_bytes);
      } else {
        out.put(std::uint8_t{0});
      }
    }
    net_.send_control(0, MessageKind::done, std::move(body));
  }

  // ---- rank 0: the scheduler ------------------------------------------------------------
  struct Sched {
    std::uint32_t inputs_left = 0;
    std::uint32_t consumers = 0;  // added tasks that take it and have not finished
    std::uint32_t handles = 0;    // ranks still holding a Future of it
    std::uint32_t dropped = 0;    // drops that arrived (possibly before rank 0 added it)
    bool known = false, done = false, freed = false, assigned = false, cancelled = false;
    std::uint64_t nbytes = 0;
    std::vector<int> holders;  // the producer first
    std::vector<std::uint64_t> dependents;
  };

  Sched& sched(std::uint64_t e) {
    if (sched_.size() <= e) sched_.resize(e + 1);
    return sched_[e];
  }

  void sched_add(std::uint64_t e) {
    const ServiceEntry& entry = table_[e];
    Sched& s = sched(e);
    s.known = true;
    s.handles = entry.has_handle ? static_cast<std::uint32_t>(n_) - std::min<std::uint32_t>(s.dropped, n_) : 0;
    for (std::uint64_t dep : entry.deps) {
      Sched& d = sched(dep);
      ++d.consumers;
      if (!d.done) {
        ++s.inputs_left;
        d.dependents.push_back(e);
      }
    }
    if (!entry.fn) {  // a value: done as soon as it is added
      s.done = true;
      s.nbytes = entry.location == everywhere ? 0 : entry.nbytes;
      s.holders = {entry.location};
      announce(e, entry.location, Value());
      maybe_free(e);
    } else if (s.inputs_left == 0) {
      ready_.push(e);
    }
  }

  // Where a task runs. First choice: a rank with an idle worker (most input
  // bytes there, then the least loaded); if such a rank has not added the
  // task yet it soon will, so the task waits for it rather than queueing
  // behind a long task elsewhere. Then any rank with a free slot. -1: not now.
  int place(std::uint64_t e) {
    const ServiceEntry& entry = table_[e];
    auto added = [&](int r) { return (r == 0 ? table_.size() - 1 : added_by_[r]) >= e; };
    auto idle = [&](int r) { return load_[r] < net_.threads_per_rank()[r]; };
    if (entry.annotations.restricted_to >= 0) {
      const int r = entry.annotations.restricted_to;
      if (r >= n_) return -2;
      return load_[r] < capacity_[r] && added(r) ? r : -1;
    }
    bytes_on_.assign(static_cast<std::size_t>(n_), 0);
    for (std::uint64_t dep : entry.deps) {
      for (int r : sched_[dep].holders) {
        if (r != everywhere) bytes_on_[r] += sched_[dep].nbytes;
      }
    }
    auto best_of = [&](auto eligible) {
      int best = -1;
      for (int r = 0; r < n_; ++r) {
        if (!eligible(r)) continue;
        if (best < 0 || bytes_on_[r] > bytes_on_[best] ||
            (bytes_on_[r] == bytes_on_[best] && load_[r] * capacity_[best] < load_[best] * capacity_[r])) {
          best = r;
        }
      }
      return best;
    };
    if (int r = best_of([&](int r) { return idle(r) && added(r); }); r >= 0) return r;
    for (int r = 0; r < n_; ++r) {
      if (idle(r)) return -1;
    }
    return best_of([&](int r) { return load_[r] < capacity_[r] && added(r); });
  }

  bool any_free_slot() const {
    for (int r = 0; r < n_; ++r) {
      if (load_[r] < capacity_[r]) return true;
    }
    return false;
  }

  void schedule_ready() {
    deferred_.clear();
    while (!ready_.empty() && any_free_slot()) {
      const std::uint64_t e = ready_.top();
      ready_.pop();
      if (sched_[e].cancelled) {
        ErrorInfo info;
        info.kind = ErrorKind::cancelled;
        info.key = table_[e].key.str();
        info.message = "future " + info.key + " was cancelled";
        finish_here(e, std::move(info));
        continue;
      }
      const int r = place(e);
      if (r == -2) {  // restricted to a rank the job does not have: fail it, do not hang
        ErrorInfo info;
        info.kind = ErrorKind::graph;
        info.key = table_[e].key.str();
        info.message = "task " + info.key + " is restricted to rank " + std::to_string(table_[e].annotations.restricted_to) +
                       ", but the job has " + std::to_string(n_) + " ranks";
        finish_here(e, std::move(info));
        continue;
      }
      if (r < 0) {
        deferred_.push_back(e);
        continue;
      }
      assign(e, r);
      busy_ = true;
    }
    for (std::uint64_t e : deferred_) ready_.push(e);
  }

  // A task that does not run: rank 0 holds its error as its result.
  void finish_here(std::uint64_t e, ErrorInfo info) {
    const Value failure = Value::of(FutureError{std::move(info)});
    store(e, failure, /*tracked=*/true);
    ++load_[0];
    on_done(0, e, failure.nbytes(), Value());
  }

  void on_cancel(std::uint64_t e) {
    Sched& s = sched(e);
    if (!s.assigned && !s.done) s.cancelled = true;
  }

  void assign(std::uint64_t e, int r) {
    sched_[e].assigned = true;
    ++load_[r];
    auto& batch = assign_batches_[r];
    batch.push_back(e);
    for (std::uint64_t dep : table_[e].deps) {
      Sched& d = sched_[dep];
      const bool there = std::find(d.holders.begin(), d.holders.end(), r) != d.holders.end() ||
                         (!d.holders.empty() && d.holders[0] == everywhere);
      if (there) continue;
      push_batches_[d.holders[0]].emplace_back(dep, r);
      d.holders.push_back(r);
    }
  }

  void on_done(int rank, std::uint64_t e, std::uint64_t nbytes, Value small) {
    --load_[rank];
    Sched& s = sched(e);
    s.done = true;
    s.nbytes = nbytes;
    s.holders.insert(s.holders.begin(), rank);
    if (!small && table_[e].has_handle && rank == 0) small = local_value(e);
    announce(e, rank, std::move(small));
    for (std::uint64_t dep : table_[e].deps) {
      --sched_[dep].consumers;
      maybe_free(dep);
    }
    for (std::uint64_t user : s.dependents) {
      if (--sched_[user].inputs_left == 0) ready_.push(user);
    }
    s.dependents.clear();
    s.dependents.shrink_to_fit();
    maybe_free(e);
  }

  void on_dropped(std::uint64_t e) {
    Sched& s = sched(e);
    ++s.dropped;
    if (!s.known) return;  // counted when rank 0 adds it
    if (s.handles > 0) --s.handles;
    maybe_free(e);
  }

  void maybe_free(std::uint64_t e) {
    Sched& s = sched_[e];
    if (!s.known || !s.done || s.freed || s.consumers > 0 || s.handles > 0) return;
    s.freed = true;
    const bool replicated = !s.holders.empty() && s.holders[0] == everywhere;
    if (replicated) {
      for (int r = 0; r < n_; ++r) release_batches_[r].push_back(e);
    } else {
      for (int r : s.holders) release_batches_[r].push_back(e);
    }
    s.holders.clear();
    s.holders.shrink_to_fit();
  }

  void announce(std::uint64_t e, int holder, Value small) {
    ByteWriter out(announcement_);
    out.put(e);
    out.put(static_cast<std::int32_t>(holder));
    out.put(++completions_);
    if (small) {
      put_inline_value(out, small, inline_bytes);
    } else {
      out.put(std::uint8_t{0});
    }
    ++announced_;
  }

  void on_stopping() {
    if (++stopping_ranks_ < n_) return;
    for (int r = 1; r < n_; ++r) net_.send_control(r, MessageKind::finish, {});
    exit_ = true;
  }

  // ---- batched messages -----------------------------------------------------------------
  // A list of entry numbers: [count u32][entries u64...].
  static std::vector<std::byte> entry_list(const std::vector<std::uint64_t>& entries) {
    std::vector<std::byte> body;
    ByteWriter out(body);
    out.put(static_cast<std::uint32_t>(entries.size()));
    for (std::uint64_t e : entries) out.put(e);
    return body;
  }
  static std::vector<std::uint64_t> read_entries(ByteReader& in) {
    std::vector<std::uint64_t> entries(in.get<std::uint32_t>());
    for (auto& e : entries) e = in.get<std::uint64_t>();
    return entries;
  }

  static std::vector<std::byte> counted(std::uint32_t count, const std::vector<std::byte>& items) {
    std::vector<std::byte> body(sizeof count + items.size());
    std::memcpy(body.data(), &count, sizeof count);
    if (!items.empty()) std::memcpy(body.data() + sizeof count, items.data(), items.size());
    return body;
  }

  void send_or_apply(int r, MessageKind kind, std::vector<std::byte> body) {
    if (r == me_) {
      Message m;
      m.source = me_;
      m.kind = kind;
      m.body = std::move(body);
      handle(m);
    } else {
      net_.send_control(r, kind, std::move(body));
    }
  }

  void flush() {
    if (report_added_) {
      std::vector<std::byte> body;
      ByteWriter(body).put(static_cast<std::uint64_t>(table_.size() - 1));
      net_.send_control(0, MessageKind::added, std::move(body));
      report_added_ = false;
    }
    if (!cancels_.empty()) net_.send_control(0, MessageKind::cancel, entry_list(cancels_));
    cancels_.clear();
    if (!dropped_.empty()) net_.send_control(0, MessageKind::dropped, entry_list(dropped_));
    dropped_.clear();
    send_lists(fetches_, MessageKind::fetch);
    if (me_ != 0) return;
    // Announcements first: a rank learns where a result is before anyone asks it for more.
    if (announced_ > 0) {
      auto body = counted(announced_, announcement_);
      for (int r = 1; r < n_; ++r) net_.send_control(r, MessageKind::completed, body);
      ByteReader in(body);
      on_completed(in);
      announcement_.clear();
      announced_ = 0;
    }
    for (auto& [holder, pushes] : push_batches_) {
      if (pushes.empty()) continue;
      std::vector<std::byte> items;
      for (auto [e, target] : pushes) {
        ByteWriter(items).put(e);
        ByteWriter(items).put(static_cast<std::int32_t>(target));
      }
      send_or_apply(holder, MessageKind::push, counted(static_cast<std::uint32_t>(pushes.size()), items));
      pushes.clear();
    }
    send_lists(assign_batches_, MessageKind::assign);
    send_lists(release_batches_, MessageKind::release);
  }

  void send_lists(std::unordered_map<int, std::vector<std::uint64_t>>& lists, MessageKind kind) {
    for (auto& [r, entries] : lists) {
      if (!entries.empty()) send_or_apply(r, kind, entry_list(entries));
      entries.clear();
    }
  }

  std::unique_ptr<Network> owned_;
  Network& net_;
  const int me_, n_;
  const bool threaded_;
  std::unique_ptr<schedule::ThreadPool> pool_;
  std::thread thread_;

  // Program threads <-> service thread.
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Request> inbox_;
  std::uint64_t added_ = 0;
  std::vector<EntryStatus> status_ = std::vector<EntryStatus>(1);
  std::mutex step_mutex_;  // without a service thread: one waiting thread drives it at a time
  std::optional<ErrorInfo> failed_;
  bool stop_requested_ = false;
  std::mutex wake_mutex_;
  std::condition_variable wake_cv_;
  bool woken_ = false;
  std::atomic<bool> service_sleeping_{false};
  std::atomic<std::uint64_t> work_posted_{0};  // requests and finished tasks posted for the service thread
  std::uint64_t work_seen_ = 0;
  std::atomic<int> program_waiters_{0};  // program threads waiting on changed_

  std::mutex store_mutex_;
  std::unordered_map<std::uint64_t, Slot> store_;

  // Service thread <-> workers.
  std::mutex run_mutex_;
  std::condition_variable run_ready_;
  std::deque<Runnable> runnable_;
  bool stopping_workers_ = false;
  std::atomic<bool> stop_workers_flag_{false};
  std::atomic<std::size_t> queued_{0};
  std::atomic<int> sleeping_workers_{0};
  std::mutex finished_mutex_;
  std::vector<Finished> finished_;

  // Service thread only.
  std::atomic<bool> exit_{false};
  bool busy_ = false;
  std::chrono::steady_clock::time_point last_activity_ = std::chrono::steady_clock::now();
  std::chrono::microseconds idle_sleep_{50};
  std::deque<ServiceEntry> table_;  // [0] unused
  bool report_added_ = false;
  std::vector<std::uint64_t> dropped_, cancels_;
  std::unordered_map<int, std::vector<std::uint64_t>> fetches_;
  schedule::InputWaits<std::uint64_t> input_waits_;  // assigned tasks whose inputs are on their way
  std::vector<std::pair<std::uint64_t, int>> deferred_sends_;

  // Rank 0.
  std::vector<Sched> sched_;
  std::vector<std::uint64_t> added_by_;
  std::vector<unsigned> load_, capacity_;
  std::vector<std::uint64_t> bytes_on_;
  std::priority_queue<std::uint64_t, std::vector<std::uint64_t>, std::greater<>> ready_;
  std::vector<std::uint64_t> deferred_;
  std::unordered_map<int, std::vector<std::uint64_t>> assign_batches_, release_batches_;
  std::unordered_map<int, std::vector<std::pair<std::uint64_t, int>>> push_batches_;
  std::vector<std::byte> announcement_;
  std::uint32_t announced_ = 0;
  std::uint64_t completions_ = 0;
  int stopping_ranks_ = 0;
};

std::mutex service_mutex;
std::unique_ptr<Service> service;
std::atomic<bool> service_running{false};

void stop_service() {
  std::unique_ptr<Service> ending;
  {
    std::lock_guard lock(service_mutex);
    ending = std::move(service);
    service_running = false;
  }
  if (ending) ending->stop();
}

}  // namespace

// The first call on every rank is at the same point of the program (its
// first submit or scatter): duplicating the communicator is collective.
FutureService& FutureService::instance() {
  std::lock_guard lock(service_mutex);
  if (!service) {
    Network* main = schedule::current_network();
    if (!main || main->size() == 1) {
      auto local = std::make_unique<LocalNetwork>();
      Network* net = local.get();
      service = std::make_unique<Service>(std::move(local), net, /*threaded=*/true);
    } else {
      // Without MPI_THREAD_MULTIPLE no second thread may talk to MPI: the
      // waiting thread drives the service instead (on its own communicator still).
      auto copy = main->duplicate();
      const bool threaded = copy->multithreaded();
      Network* net = copy.get();
      service = std::make_unique<Service>(std::move(copy), net, threaded);
    }
    service_running = true;
    schedule::add_shutdown_hook(stop_service);  // a Runtime's end stops it, before MPI goes
  }
  return *service;
}

bool FutureService::running() { return service_running.load(); }

}  // namespace tessera::detail
