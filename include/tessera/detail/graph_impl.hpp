#pragma once
// Graph::add_task's typed form: KeyRef arguments become dependencies, the
// rest are captured by value, and the result is wrapped into a Value.
#include <tessera/graph.hpp>
#include <tessera/token.hpp>

#include <functional>

namespace tessera::detail {

/// Calls f and wraps what it returns; void becomes None, a Value passes through.
template <class F, class... A>
Value invoke_to_value(const F& f, A&&... args) {
  using R = std::invoke_result_t<const F&, A...>;
  if constexpr (std::is_void_v<R>) {
    std::invoke(f, std::forward<A>(args)...);
    return Value::of(None{});
  } else if constexpr (std::is_same_v<std::decay_t<R>, Value>) {
    return std::invoke(f, std::forward<A>(args)...);
  } else {
    return Value::of(std::invoke(f, std::forward<A>(args)...));
  }
}

template <class A>
struct GraphArg {  // a literal
  using Captured = A;
  static Captured capture(A value) { return value; }
  static void collect(const A&, std::vector<Key>&) {}
  static void tokenize(const A& a, TokenHasher& h) { add_token(a, h); }
  static const A& get(const Captured& c, TaskArgs, std::size_t&) { return c; }
};

template <class T>
struct GraphArg<KeyRef<T>> {
  struct Captured {};
  static Captured capture(const KeyRef<T>&) { return {}; }
  static void collect(const KeyRef<T>& r, std::vector<Key>& deps) { deps.push_back(r.key); }
  static void tokenize(const KeyRef<T>&, TokenHasher&) {}  // the edge is in the fingerprint already
  static const T& get(const Captured&, TaskArgs args, std::size_t& next) { return args[next++]->get<T>(); }
};

}  // namespace tessera::detail

namespace tessera {

template <class F, class... A>
  requires(!std::is_same_v<std::decay_t<F>, TaskFunction>)
NodeId Graph::add_task(Key key, F f, A&&... args) {
  std::vector<Key> deps;
  (detail::GraphArg<std::decay_t<A>>::collect(args, deps), ...);
  TokenHasher content;
  (detail::GraphArg<std::decay_t<A>>::tokenize(args, content), ...);
  auto captured = std::make_tuple(detail::GraphArg<std::decay_t<A>>::capture(std::forward<A>(args))...);
  TaskFunction fn([f = std::move(f), captured = std::move(captured)](TaskArgs values) -> Value {
    std::size_t next = 0;
    return std::apply(
        [&](const auto&... c) {
          // Braced initialisation evaluates left to right: arguments are read in dependency order.
          std::tuple<decltype(detail::GraphArg<std::decay_t<A>>::get(c, values, next))...> ready{
              detail::GraphArg<std::decay_t<A>>::get(c, values, next)...};
          return std::apply([&](const auto&... a) { return detail::invoke_to_value(f, a...); }, ready);
        },
        captured);
  });
  NodeId id = add_task(std::move(key), std::move(fn), std::span<const Key>(deps));
  nodes_[id].content = content.value();
  return id;
}

}  // namespace tessera
