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
/// Every rank makes the same calls (DESIGN.md §1). Submitted tasks start
/// in the background at once, across all ranks, while the program goes on:
/// a runner thread per rank takes what has been submitted on every rank, in
/// batches, and runs each batch on its own workers and communicator. (Under
/// an MPI initialised without MPI_THREAD_MULTIPLE they run instead at the
/// first call that waits.) Results stay on the rank that made them until
/// asked for, and are freed when the last handle goes. A task that throws
/// fails its own future (and those that depend on it), not the others:
/// result() rethrows it as TaskError naming the task.
#include <tessera/delayed.hpp>

#include <atomic>
#include <memory>
#include <string>

namespace tessera {

struct SubmitOptions {
  int retries = 0;            // run a failing task again, up to this many times
  int rank = -1;              // run it on this rank only (Dask's workers=), or anywhere
  std::string name;           // the key's name; empty: the function's own (callable_name)
};

namespace detail {
/// What a failed (or cancelled) task leaves instead of its result; its
/// dependents pass it on instead of running.
struct FutureError {
  ErrorInfo info;
};

struct FutureState {
  Key key;  // fixed at submit
  // Guarded by the futures lock once submitted (a runner thread updates them).
  DelayedNodePtr node;            // the task, then its persisted result
  bool done = false;
  std::uint64_t finished_as = 0;  // completion order across all runs, 0: not finished
  bool cancelled = false;         // set by the program's thread only
  std::shared_ptr<std::atomic<bool>> cancel_flag;  // read by the task wrapper at run time
};
using FutureStatePtr = std::shared_ptr<FutureState>;

FutureStatePtr submit_node(DelayedNodePtr task, const SubmitOptions& options);
/// A future holding `value`: on the next rank in turn, or on every rank with `broadcast`.
FutureStatePtr scatter_node(Value value, bool broadcast);
/// Blocks until every given future has run.
void wait_states(std::span<const FutureStatePtr> states);
DelayedNodePtr current_node(const FutureState& state);
bool is_done(const FutureState& state);
std::uint64_t finished_as(const FutureState& state);
void cancel_state(FutureState& state);
Value result_value(const FutureState& state);
std::vector<Value> result_values(std::span<const FutureStatePtr> states);
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
  /// The result on every rank; runs pending work first. TaskError if the task failed.
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

/// The futures in the order their tasks finished (as rank 0 saw it): the same order on every rank.
template <class T>
std::vector<Future<T>> as_completed(const std::vector<Future<T>>& futures);

template <class T>
void cancel(std::vector<Future<T>>& futures) {
  for (auto& f : futures) f.cancel();
}

template <>
struct Transport<detail::FutureError> {
  static void encode(const detail::FutureError& e, ByteWriter& out) { out.put(e.info); }
  static detail::FutureError decode(ByteReader& in) { return {in.get<ErrorInfo>()}; }
};

// ---- templates ---------------------------------------------------------------------------
namespace detail {

// A Future argument is its node: the task before it ran, its result after.
template <class T>
struct DelayedArg<Future<T>> {
  struct Stored {};
  static Stored store(const Future<T>&) { return {}; }
  static void collect(const Future<T>& f, DepList& deps) { deps.push_back(current_node(*f.state())); }
  static void tokenize(const Future<T>& f, TokenHasher& h) { h.mix(f.key().hash()); }
  static const T& rebuild(const Stored&, ArgReader& r) { return r.read().template get<T>(); }
};
template <class T>
inline constexpr bool contains_delayed<Future<T>> = true;

}  // namespace detail

template <class F, class... A>
auto submit_with(const SubmitOptions& options, F&& f, A&&... args) {
  const std::string name = options.name.empty() ? callable_name(f, "submit") : options.name;
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
std::vector<Future<T>> as_completed(const std::vector<Future<T>>& futures) {
  wait(futures);
  std::vector<Future<T>> out = futures;
  std::stable_sort(out.begin(), out.end(), [](const Future<T>& a, const Future<T>& b) {
    return detail::finished_as(*a.state()) < detail::finished_as(*b.state());
  });
  return out;
}

}  // namespace tessera
