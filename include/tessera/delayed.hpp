#pragma once
/// Delayed: write ordinary function calls, get a task graph, run it later.
///
///     auto load      = tessera::delayed(read_table, "load");
///     auto process   = tessera::delayed(clean, "process");
///     std::vector<tessera::Delayed<Table>> parts;
///     for (const auto& path : paths) parts.push_back(process(load(path)));
///     auto summary   = tessera::delayed(summarize, "summarize")(parts);  // a vector of Delayed
///     Summary s      = tessera::compute(summary);
///     auto [lo, hi]  = tessera::split(tessera::delayed(min_max)(data));  // Dask's nout
///     auto [a, b]    = tessera::compute(lo, hi);                          // several at once
///
/// Arguments may be plain values (captured by value), Delayed values (passed
/// to the function as const T&), or std::vector, std::array, std::tuple,
/// std::pair and std::map holding them, at any depth (passed as the same
/// container of plain values). Lambdas with captures are fine: every rank
/// builds the same graph (DESIGN.md §1). Keys are the function's name, a
/// token of its arguments and a call counter, ('load-3f2a9c1d', 7), like
/// Dask's tokenize: ranks that pass different arguments (an unsorted file
/// list, a rank-dependent number) build different keys, and compute() stops
/// with GraphMismatch on every rank instead of a wrong answer. Arguments are
/// tokenized by content (token.hpp: numbers, strings, containers, types that
/// travel); Delayed arguments by their keys. What a lambda captures is not
/// part of the key: pass rank-dependent values as arguments, not captures.
#include <tessera/compute.hpp>
#include <tessera/graph.hpp>
#include <tessera/token.hpp>

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace tessera {

namespace detail {
/// One call in a Delayed graph. The graph is these nodes, linked through
/// `deps`; compute() walks it from the outputs, so it is culled by construction.
struct DelayedNode {
  Key key;
  TaskFunction fn;  // empty for a value node (delayed_value, persisted results)
  Value data;
  PersistedValue persisted;  // a persisted result's value (counted and spillable), then `data` is empty
  int location = -1;         // a persisted result held by one rank, else -1
  std::uint64_t nbytes = 0;  // its size, known on every rank
  TaskAnnotations annotations{};  // where it may or should run
  std::uint64_t future_entry = 0;  // a Future's task: its number in the futures service, else 0
  std::vector<std::shared_ptr<const DelayedNode>> deps;

  DelayedNode() = default;
  DelayedNode(const DelayedNode&) = delete;
  DelayedNode& operator=(const DelayedNode&) = delete;
  ~DelayedNode();  // iterative, so that a long chain does not overflow the stack
};
using DelayedNodePtr = std::shared_ptr<const DelayedNode>;

std::int64_t next_delayed_index();
template <class F>
std::uint64_t function_token(KeyName name);
/// A call's key: ('name-<token>', n), the token covering the function and its arguments.
Key call_key(KeyName name, const TokenHasher& token);
/// Says once per type (on rank 0) that results of this type cannot move
/// between ranks, so a program tried on one rank learns it before mpirun.
void warn_result_cannot_travel(const std::type_info& type, const Key& key);
/// The graph of everything `outputs` need; ids[i] is outputs[i]'s node.
/// `substitute`, when given, may replace a node met on the way by another
/// (a task that has run by its persisted result).
using NodeSubstitute = std::function<const DelayedNode*(const DelayedNode*)>;
Graph delayed_graph(std::span<const DelayedNodePtr> outputs, std::vector<NodeId>& ids,
                    const NodeSubstitute& substitute = {});
std::vector<Value> compute_delayed(std::span<const DelayedNodePtr> outputs, const ComputeOptions& options);
}  // namespace detail

template <class T>
class Delayed {
 public:
  using value_type = T;

  Delayed() = default;
  explicit Delayed(detail::DelayedNodePtr node) : node_(std::move(node)) {}

  const Key& key() const { return node_->key; }
  const detail::DelayedNodePtr& node() const { return node_; }

  T compute(const ComputeOptions& options = {}) const;
  /// Computes now and returns a Delayed that holds the result (same key).
  Delayed persist(const ComputeOptions& options = {}) const;
  /// The graph this value needs, for inspection and drawing.
  Graph graph() const;
  void visualize(const std::string& path) const { graph().visualize(path); }

  /// Element I of a tuple-like result, as its own Delayed (Dask's nout).
  template <std::size_t I>
  auto get() const;

 private:
  detail::DelayedNodePtr node_;
};

/// A callable whose calls build Delayed values instead of running.
template <class F>
class DelayedFunction {
 public:
  DelayedFunction(F f, std::string_view name)
      : f_(std::move(f)), name_(name), token_(detail::function_token<F>(name_)) {}

  template <class... A>
  auto operator()(A&&... args) const;

 private:
  F f_;
  KeyName name_;
  std::uint64_t token_;  // the function's share of its calls' keys
};

namespace detail {
/// A function's own name, for keys: a function pointer's symbol (when the
/// program exports it), a named function object's class; else `fallback`.
std::string callable_name(const std::type_info& type, void (*function)(), std::string_view fallback);
}  // namespace detail

/// The name a key gets for `f` when none is given: `load` for a function
/// `load` (when the program exports its symbols: shared libraries such as
/// jobs, executables linked with -rdynamic), `Load` for an object of class
/// `Load`; lambdas and std::function have no name of their own: `fallback`.
template <class F>
std::string callable_name(const F& f, std::string_view fallback) {
  using D = std::decay_t<F>;
  if constexpr (std::is_pointer_v<D> && std::is_function_v<std::remove_pointer_t<D>>) {
    return detail::callable_name(typeid(D), reinterpret_cast<void (*)()>(f), fallback);
  } else if constexpr (std::is_function_v<D>) {
    return detail::callable_name(typeid(D*), reinterpret_cast<void (*)()>(&f), fallback);
  } else {
    return detail::callable_name(typeid(D), nullptr, fallback);
  }
}

template <class F>
DelayedFunction<std::decay_t<F>> delayed(F&& f, std::string_view name = {}) {
  const std::string own = name.empty() ? callable_name(f, "delayed") : std::string(name);
  return DelayedFunction<std::decay_t<F>>(std::forward<F>(f), own);
}

/// A plain value as a Delayed (Dask's `delayed(obj)`).
template <class T>
Delayed<std::decay_t<T>> delayed_value(T&& value, std::string_view name = "value");

/// Computes several values in one run (shared work is done once).
template <class T>
T compute(const Delayed<T>& value, const ComputeOptions& options = {});
template <class T1, class T2, class... Ts>
std::tuple<T1, T2, Ts...> compute(const Delayed<T1>& a, const Delayed<T2>& b, const Delayed<Ts>&... rest);
template <class... Ts>
std::tuple<Ts...> compute(const ComputeOptions& options, const Delayed<Ts>&... values);
template <class T>
std::vector<T> compute(const std::vector<Delayed<T>>& values, const ComputeOptions& options = {});

template <class T>
Delayed<T> persist(const Delayed<T>& value, const ComputeOptions& options = {});
template <class T>
std::vector<Delayed<T>> persist(const std::vector<Delayed<T>>& values, const ComputeOptions& options = {});

/// Splits a Delayed tuple or pair into one Delayed per element (Dask's nout).
template <class T>
auto split(const Delayed<T>& value);
/// Splits a Delayed vector of known length n into n Delayed elements.
template <class T>
std::vector<Delayed<T>> split(const Delayed<std::vector<T>>& value, std::size_t n);

}  // namespace tessera

#include <tessera/detail/delayed_impl.hpp>
