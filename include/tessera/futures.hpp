#pragma once
/// Futures: Dask's concurrent.futures interface, over the same runtime.
///
///     std::vector<tessera::Future<Table>> loaded;
///     for (const auto& fn : filenames) loaded.push_back(tessera::submit(load, fn));
///     auto summary = tessera::submit(summarize, loaded);     // futures as arguments
///     Summary s = summary.result();                          // same value on every rank
///
///     auto squares = tessera::map([](int x) { return x * x; }, std::vector<int>{1, 2, 3});
///     auto all = tessera::gather(squares);                   // {1, 4, 9}
///     for (auto& f : tessera::as_completed(squares)) ...     // one order, on every rank
///     auto data = tessera::scatter(std::vector<double>(n));  // a value placed on a rank
///     auto flaky = tessera::submit_with({.retries = 3, .rank = 1}, fetch, url);
///
/// Every rank makes the same calls (DESIGN.md §1). A submitted task starts
/// at once, in the background, across all ranks, while the program goes on,
/// also while earlier futures still run: one service per rank with its own
/// thread, workers and communicator. (Under an MPI initialised without
/// MPI_THREAD_MULTIPLE the service runs when a rank waits instead.) Results
/// stay on the rank that made them until asked for, and are freed when every
/// rank has dropped its last handle. result(), gather(), wait() and
/// as_completed() work on any subset of ranks (`if (rank == 0) print(f.result())`):
/// the value comes from the rank that holds it; called on every rank they
/// give the same value everywhere. A task that throws fails its own future
/// (and those that depend on it), not the others: result() rethrows it as
/// TaskError naming the task. Keys are the function's own name (or
/// SubmitOptions::name) and a token of the arguments: ('load-3f2a9c1d', 7).
#include <tessera/delayed.hpp>
#include <tessera/detail/future_service.hpp>

#include <atomic>
#include <iterator>
#include <memory>
#include <optional>
#include <string>

namespace tessera {

struct SubmitOptions {
  int retries = 0;   // run a failing task again, up to this many times
  int rank = -1;     // run it on this rank only (Dask's workers=), or anywhere
  std::string name{};  // the key's name; empty: the function's own (callable_name), else "submit"
};

namespace detail {
struct FutureState {
  Key key;
  std::uint64_t entry = 0;  // its number in the futures service
  DelayedNodePtr node;      // what a later submit depends on (its future_entry is `entry`)
  bool cancelled = false;   // set by the program's thread only
  std::shared_ptr<std::atomic<bool>> cancel_flag;  // read by the task wrapper at run time
  FutureState() = default;
  FutureState(const FutureState&) = delete;
  FutureState& operator=(const FutureState&) = delete;
  ~FutureState();  // this rank drops its handle: the service frees the result once every rank has
};
using FutureStatePtr = std::shared_ptr<FutureState>;

FutureStatePtr submit_node(DelayedNodePtr task, const SubmitOptions& options);
/// A future holding `value`: on the next rank in turn, or on every rank with `broadcast`.
FutureStatePtr scatter_node(Value value, bool broadcast);
/// Blocks until every given future has run.
void wait_states(std::span<const FutureStatePtr> states);
/// Blocks until one of `states` not yet `taken` has run; its position (the earliest finished).
std::size_t next_completed(std::span<const FutureStatePtr> states, const std::vector<bool>& taken);
/// A Future passed to a Delayed call (not a submit): its value, as a Delayed literal.
DelayedNodePtr value_node(const FutureState& state);
bool is_done(const FutureState& state);
void cancel_state(FutureState& state);
Value result_value(const FutureState& state);
std::vector<Value> result_values(std::span<const FutureStatePtr> states);
/// True while submit() builds its task: Future arguments then stay futures.
bool building_submit();
struct SubmitScope {
  SubmitScope();
  ~SubmitScope();
};
}  // namespace detail

template <class T>
class Future {
 public:
  using value_type = T;
  Future() = default;
  explicit Future(detail::FutureStatePtr state) : state_(std::move(state)) {}

  const Key& key() const { return state_->key; }
  /// Whether the task has run (to a result or an error).
  bool done() const { return detail::is_done(*state_); }
  bool cancelled() const { return state_->cancelled; }
  /// The result, on whichever ranks ask; waits for it. TaskError if the task failed.
  T result() const { return detail::result_value(*state_).template get<T>(); }
  void cancel() { detail::cancel_state(*state_); }

  const detail::FutureStatePtr& state() const { return state_; }

 private:
  detail::FutureStatePtr state_;
};

template <class F, class... A>
auto submit_with(const SubmitOptions& options, F&& f, A&&... args);

template <class F, class... A>
auto submit(F&& f, A&&... args) {
  return submit_with(SubmitOptions{}, std::forward<F>(f), std::forward<A>(args)...);
}

/// One future per element of `items`: f(item).
template <class F, class Seq>
auto map(F f, const Seq& items, const SubmitOptions& options = {});

/// A value as a future, held by one rank (round robin over calls), or by
/// every rank with `broadcast`. Each rank passes the same value.
template <class T>
Future<std::decay_t<T>> scatter(T&& value, bool broadcast = false);

template <class T>
std::vector<T> gather(const std::vector<Future<T>>& futures);

/// Blocks until every one of the futures has run.
template <class T>
void wait(const std::vector<Future<T>>& futures) {
  std::vector<detail::FutureStatePtr> states;
  for (const auto& f : futures) states.push_back(f.state());
  detail::wait_states(states);
}

/// The futures one by one as their tasks finish, each as soon as it has:
///     for (auto& f : tessera::as_completed(futures)) use(f.result());
/// The order is the one rank 0 saw them finish, the same on every rank that iterates.
template <class T>
class AsCompleted {
 public:
  explicit AsCompleted(std::vector<Future<T>> futures);
  struct End {};
  class iterator {
   public:
    using value_type = Future<T>;
    using difference_type = std::ptrdiff_t;
    Future<T>& operator*() const { return *owner_->current_; }
    Future<T>* operator->() const { return &*owner_->current_; }
    iterator& operator++() {
      owner_->advance();
      return *this;
    }
    void operator++(int) { owner_->advance(); }
    friend bool operator==(const iterator& it, End) { return it.at_end(); }

   private:
    friend class AsCompleted;
    explicit iterator(AsCompleted* owner) : owner_(owner) {}
    bool at_end() const { return !owner_->current_; }
    AsCompleted* owner_;
  };
  iterator begin() {
    if (!started_) advance();
    started_ = true;
    return iterator(this);
  }
  End end() const { return {}; }

 private:
  void advance();
  std::vector<Future<T>> futures_;
  std::vector<detail::FutureStatePtr> states_;
  std::vector<bool> taken_;
  std::size_t yielded_ = 0;
  bool started_ = false;
  std::optional<Future<T>> current_;
};

template <class T>
AsCompleted<T> as_completed(const std::vector<Future<T>>& futures) {
  return AsCompleted<T>(futures);
}

template <class T>
void cancel(std::vector<Future<T>>& futures) {
  for (auto& f : futures) f.cancel();
}


// ---- templates ---------------------------------------------------------------------------
namespace detail {

// A Future argument is its node: the task before it ran, its result after.
template <class T>
struct DelayedArg<Future<T>> {
  struct Stored {};
  static Stored store(const Future<T>&) { return {}; }
  static void collect(const Future<T>& f, DepList& deps) {
    deps.push_back(building_submit() ? f.state()->node : value_node(*f.state()));
  }
  static void tokenize(const Future<T>& f, TokenHasher& h) { h.mix(f.key().hash()); }
  static const T& rebuild(const Stored&, ArgReader& r) { return r.read().template get<T>(); }
};
template <class T>
inline constexpr bool contains_delayed<Future<T>> = true;

}  // namespace detail

template <class F, class... A>
auto submit_with(const SubmitOptions& options, F&& f, A&&... args) {
  const std::string name = options.name.empty() ? callable_name(f, "submit") : options.name;
  detail::SubmitScope scope;
  auto task = delayed(std::forward<F>(f), name)(std::forward<A>(args)...);
  using T = typename decltype(task)::value_type;
  return Future<T>(detail::submit_node(task.node(), options));
}

template <class F, class Seq>
auto map(F f, const Seq& items, const SubmitOptions& options) {
  using Item = typename Seq::value_type;
  using T = typename decltype(submit_with(options, f, std::declval<const Item&>()))::value_type;
  std::vector<Future<T>> out;
  out.reserve(items.size());
  for (const auto& item : items) out.push_back(submit_with(options, f, item));
  return out;
}

template <class T>
Future<std::decay_t<T>> scatter(T&& value, bool broadcast) {
  return Future<std::decay_t<T>>(detail::scatter_node(Value::of(std::forward<T>(value)), broadcast));
}

template <class T>
std::vector<T> gather(const std::vector<Future<T>>& futures) {
  std::vector<detail::FutureStatePtr> states;
  for (const auto& f : futures) states.push_back(f.state());
  auto values = detail::result_values(states);
  std::vector<T> out;
  out.reserve(values.size());
  for (const auto& v : values) out.push_back(v.template get<T>());
  return out;
}

template <class T>
AsCompleted<T>::AsCompleted(std::vector<Future<T>> futures)
    : futures_(std::move(futures)), taken_(futures_.size(), false) {
  states_.reserve(futures_.size());
  for (const auto& f : futures_) states_.push_back(f.state());
}

template <class T>
void AsCompleted<T>::advance() {
  current_.reset();
  if (yielded_ == futures_.size()) return;
  const std::size_t next = detail::next_completed(states_, taken_);
  taken_[next] = true;
  ++yielded_;
  current_ = futures_[next];
}
}  // namespace tessera
