#pragma once
// The templates behind delayed.hpp: how arguments become dependencies and
// come back as values. Each argument type A has a DelayedArg<A> that
//   collect()s the Delayed nodes inside it, in a fixed order,
//   store()s what the task must keep (literals; a placeholder per Delayed),
//   rebuild()s the argument at run time, reading results in collect's order,
//   tokenize()s it into the call's key: literals by content, Delayed by key.
#include <tessera/delayed.hpp>

namespace tessera::detail {

template <class A>
inline constexpr bool contains_delayed = false;
template <class T>
inline constexpr bool contains_delayed<Delayed<T>> = true;
template <class T, class Al>
inline constexpr bool contains_delayed<std::vector<T, Al>> = contains_delayed<T>;
template <class T, std::size_t N>
inline constexpr bool contains_delayed<std::array<T, N>> = contains_delayed<T>;
template <class... Ts>
inline constexpr bool contains_delayed<std::tuple<Ts...>> = (contains_delayed<Ts> || ...);
template <class A, class B>
inline constexpr bool contains_delayed<std::pair<A, B>> = contains_delayed<A> || contains_delayed<B>;
template <class K, class V, class C, class Al>
inline constexpr bool contains_delayed<std::map<K, V, C, Al>> = contains_delayed<V>;

using DepList = std::vector<DelayedNodePtr>;

struct ArgReader {
  TaskArgs values;
  std::size_t next = 0;
  const Value& read() { return *values[next++]; }
};

template <class A, class Enable = void>
struct DelayedArg {  // a plain value: captured, passed as const&
  using Stored = A;
  template <class U>
  static Stored store(U&& a) { return Stored(std::forward<U>(a)); }
  static void collect(const A&, DepList&) {}
  static void tokenize(const A& a, TokenHasher& h) { add_token(a, h); }
  static const A& rebuild(const Stored& s, ArgReader&) { return s; }
};

template <class A>
using Rebuilt = std::decay_t<decltype(DelayedArg<A>::rebuild(std::declval<const typename DelayedArg<A>::Stored&>(),
                                                             std::declval<ArgReader&>()))>;

template <class T>
struct DelayedArg<Delayed<T>> {
  struct Stored {};
  static Stored store(const Delayed<T>&) { return {}; }
  static void collect(const Delayed<T>& d, DepList& deps) { deps.push_back(d.node()); }
  static void tokenize(const Delayed<T>& d, TokenHasher& h) { h.mix(d.key().hash()); }
  static const T& rebuild(const Stored&, ArgReader& r) { return r.read().template get<T>(); }
};

template <class T, class Al>
struct DelayedArg<std::vector<T, Al>, std::enable_if_t<contains_delayed<T>>> {
  using Elem = DelayedArg<T>;
  using Stored = std::vector<typename Elem::Stored>;
  static Stored store(const std::vector<T, Al>& v) {
    Stored s;
    s.reserve(v.size());
    for (const auto& e : v) s.push_back(Elem::store(e));
    return s;
  }
  static void collect(const std::vector<T, Al>& v, DepList& deps) {
    for (const auto& e : v) Elem::collect(e, deps);
  }
  static void tokenize(const std::vector<T, Al>& v, TokenHasher& h) {
    h.mix(v.size());
    for (const auto& e : v) Elem::tokenize(e, h);
  }
  static std::vector<Rebuilt<T>> rebuild(const Stored& s, ArgReader& r) {
    std::vector<Rebuilt<T>> out;
    out.reserve(s.size());
    for (const auto& e : s) out.push_back(Elem::rebuild(e, r));
    return out;
  }
};

template <class T, std::size_t N>
struct DelayedArg<std::array<T, N>, std::enable_if_t<contains_delayed<T>>> {
  using Elem = DelayedArg<T>;
  using Stored = std::array<typename Elem::Stored, N>;
  static Stored store(const std::array<T, N>& v) {
    Stored s;
    for (std::size_t i = 0; i < N; ++i) s[i] = Elem::store(v[i]);
    return s;
  }
  static void collect(const std::array<T, N>& v, DepList& deps) {
    for (const auto& e : v) Elem::collect(e, deps);
  }
  static void tokenize(const std::array<T, N>& v, TokenHasher& h) {
    for (const auto& e : v) Elem::tokenize(e, h);
  }
  static std::array<Rebuilt<T>, N> rebuild(const Stored& s, ArgReader& r) {
    std::array<Rebuilt<T>, N> out;
    for (std::size_t i = 0; i < N; ++i) out[i] = Elem::rebuild(s[i], r);
    return out;
  }
};

template <class... Ts>
struct DelayedArg<std::tuple<Ts...>, std::enable_if_t<contains_delayed<std::tuple<Ts...>>>> {
  using Stored = std::tuple<typename DelayedArg<Ts>::Stored...>;
  static Stored store(const std::tuple<Ts...>& t) {
    return std::apply([](const auto&... e) { return Stored(DelayedArg<Ts>::store(e)...); }, t);
  }
  static void collect(const std::tuple<Ts...>& t, DepList& deps) {
    std::apply([&](const auto&... e) { (DelayedArg<Ts>::collect(e, deps), ...); }, t);
  }
  static void tokenize(const std::tuple<Ts...>& t, TokenHasher& h) {
    std::apply([&](const auto&... e) { (DelayedArg<Ts>::tokenize(e, h), ...); }, t);
  }
  static std::tuple<Rebuilt<Ts>...> rebuild(const Stored& s, ArgReader& r) {
    // Braced initialisation evaluates left to right, matching collect's order.
    return std::apply([&](const auto&... e) { return std::tuple<Rebuilt<Ts>...>{DelayedArg<Ts>::rebuild(e, r)...}; },
                      s);
  }
};

template <class A, class B>
struct DelayedArg<std::pair<A, B>, std::enable_if_t<contains_delayed<std::pair<A, B>>>> {
  using Stored = std::pair<typename DelayedArg<A>::Stored, typename DelayedArg<B>::Stored>;
  static Stored store(const std::pair<A, B>& p) {
    return Stored(DelayedArg<A>::store(p.first), DelayedArg<B>::store(p.second));
  }
  static void collect(const std::pair<A, B>& p, DepList& deps) {
    DelayedArg<A>::collect(p.first, deps);
    DelayedArg<B>::collect(p.second, deps);
  }
  static void tokenize(const std::pair<A, B>& p, TokenHasher& h) {
    DelayedArg<A>::tokenize(p.first, h);
    DelayedArg<B>::tokenize(p.second, h);
  }
  static std::pair<Rebuilt<A>, Rebuilt<B>> rebuild(const Stored& s, ArgReader& r) {
    return std::pair<Rebuilt<A>, Rebuilt<B>>{DelayedArg<A>::rebuild(s.first, r), DelayedArg<B>::rebuild(s.second, r)};
  }
};

template <class K, class V, class C, class Al>
struct DelayedArg<std::map<K, V, C, Al>, std::enable_if_t<contains_delayed<V>>> {
  using Elem = DelayedArg<V>;
  using Stored = std::vector<std::pair<K, typename Elem::Stored>>;  // in the map's order
  static Stored store(const std::map<K, V, C, Al>& m) {
    Stored s;
    s.reserve(m.size());
    for (const auto& [k, v] : m) s.emplace_back(k, Elem::store(v));
    return s;
  }
  static void collect(const std::map<K, V, C, Al>& m, DepList& deps) {
    for (const auto& [k, v] : m) Elem::collect(v, deps);
  }
  static void tokenize(const std::map<K, V, C, Al>& m, TokenHasher& h) {
    h.mix(m.size());
    for (const auto& [k, v] : m) {
      add_token(k, h);
      Elem::tokenize(v, h);
    }
  }
  static std::map<K, Rebuilt<V>, C> rebuild(const Stored& s, ArgReader& r) {
    std::map<K, Rebuilt<V>, C> out;
    for (const auto& [k, v] : s) out.emplace_hint(out.end(), k, Elem::rebuild(v, r));
    return out;
  }
};

template <class R>
using DelayedResult = std::conditional_t<std::is_void_v<R>, None, std::decay_t<R>>;

/// What a function contributes to its calls' keys: its name and its type
/// (the same mangled name on every rank of one program).
template <class F>
std::uint64_t function_token(KeyName name) {
  TokenHasher h;
  h.add(name.str());
  h.add(std::string_view(typeid(F).name()));
  return h.value();
}

}  // namespace tessera::detail

namespace tessera {

template <class F>
template <class... A>
auto DelayedFunction<F>::operator()(A&&... args) const {
  using namespace detail;
  using R = std::invoke_result_t<const F&, decltype(DelayedArg<std::decay_t<A>>::rebuild(
                                               std::declval<const typename DelayedArg<std::decay_t<A>>::Stored&>(),
                                               std::declval<ArgReader&>()))...>;
  static_assert(!std::is_same_v<std::decay_t<R>, Value>, "a delayed function returns a plain value, not a Value");
  auto node = std::make_shared<DelayedNode>();
  if constexpr ((contains_delayed<std::decay_t<A>> || ...)) {
    (DelayedArg<std::decay_t<A>>::collect(args, node->deps), ...);
  }
  TokenHasher token;
  token.mix(token_);
  (DelayedArg<std::decay_t<A>>::tokenize(args, token), ...);
  node->key = call_key(name_, token);
  if constexpr (!Travels<DelayedResult<R>>) warn_result_cannot_travel(typeid(DelayedResult<R>), node->key);
  node->fn = TaskFunction(
      [f = f_, stored = std::make_tuple(DelayedArg<std::decay_t<A>>::store(std::forward<A>(args))...)](
          TaskArgs values) -> Value {
        ArgReader reader{values};
        return std::apply(
            [&](const auto&... s) {
              // Braced initialisation evaluates left to right, matching collect's order.
              std::tuple<decltype(DelayedArg<std::decay_t<A>>::rebuild(s, reader))...> ready{
                  DelayedArg<std::decay_t<A>>::rebuild(s, reader)...};
              return std::apply(
                  [&](auto&&... a) { return invoke_to_value(f, std::forward<decltype(a)>(a)...); },
                  std::move(ready));
            },
            stored);
      });
  return Delayed<DelayedResult<R>>(std::move(node));
}

template <class T>
Delayed<std::decay_t<T>> delayed_value(T&& value, std::string_view name) {
  auto node = std::make_shared<detail::DelayedNode>();
  TokenHasher token;
  token.add(name);
  add_token(value, token);
  node->key = detail::call_key(KeyName(name), token);
  node->data = Value::of(std::forward<T>(value));
  return Delayed<std::decay_t<T>>(std::move(node));
}

template <class T>
T Delayed<T>::compute(const ComputeOptions& options) const {
  return tessera::compute(*this, options);
}

template <class T>
Delayed<T> Delayed<T>::persist(const ComputeOptions& options) const {
  return tessera::persist(*this, options);
}

template <class T>
Graph Delayed<T>::graph() const {
  std::vector<NodeId> ids;
  return detail::delayed_graph(std::span<const detail::DelayedNodePtr>(&node_, 1), ids);
}

template <class T>
template <std::size_t I>
auto Delayed<T>::get() const {
  using E = std::tuple_element_t<I, T>;
  return delayed([](const T& whole) -> E { return std::get<I>(whole); }, "getitem")(*this);
}

template <class T>
T compute(const Delayed<T>& value, const ComputeOptions& options) {
  auto values = detail::compute_delayed(std::span<const detail::DelayedNodePtr>(&value.node(), 1), options);
  return values[0].template get<T>();
}

template <class... Ts>
std::tuple<Ts...> compute(const ComputeOptions& options, const Delayed<Ts>&... values) {
  std::array<detail::DelayedNodePtr, sizeof...(Ts)> nodes{values.node()...};
  auto results = detail::compute_delayed(nodes, options);
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::tuple<Ts...>{results[I].template get<Ts>()...};
  }(std::index_sequence_for<Ts...>{});
}

template <class T1, class T2, class... Ts>
std::tuple<T1, T2, Ts...> compute(const Delayed<T1>& a, const Delayed<T2>& b, const Delayed<Ts>&... rest) {
  return compute(ComputeOptions{}, a, b, rest...);
}

template <class T>
std::vector<T> compute(const std::vector<Delayed<T>>& values, const ComputeOptions& options) {
  std::vector<detail::DelayedNodePtr> nodes;
  nodes.reserve(values.size());
  for (const auto& v : values) nodes.push_back(v.node());
  auto results = detail::compute_delayed(nodes, options);
  std::vector<T> out;
  out.reserve(results.size());
  for (const auto& r : results) out.push_back(r.template get<T>());
  return out;
}

namespace detail {
inline DelayedNodePtr persisted_node(const DelayedNodePtr& original, PersistedResult result) {
  auto node = std::make_shared<DelayedNode>();
  node->key = original->key;
  node->persisted = std::move(result.value);
  node->location = result.holder;
  node->nbytes = result.nbytes;
  return node;
}
std::vector<PersistedResult> persist_delayed(std::span<const DelayedNodePtr> outputs, const ComputeOptions& options);
}  // namespace detail

template <class T>
Delayed<T> persist(const Delayed<T>& value, const ComputeOptions& options) {
  auto results = detail::persist_delayed(std::span<const detail::DelayedNodePtr>(&value.node(), 1), options);
  return Delayed<T>(detail::persisted_node(value.node(), std::move(results[0])));
}

template <class T>
std::vector<Delayed<T>> persist(const std::vector<Delayed<T>>& values, const ComputeOptions& options) {
  std::vector<detail::DelayedNodePtr> nodes;
  nodes.reserve(values.size());
  for (const auto& v : values) nodes.push_back(v.node());
  auto results = detail::persist_delayed(nodes, options);
  std::vector<Delayed<T>> out;
  out.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) out.emplace_back(detail::persisted_node(nodes[i], std::move(results[i])));
  return out;
}

template <class T>
auto split(const Delayed<T>& value) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::make_tuple(value.template get<I>()...);
  }(std::make_index_sequence<std::tuple_size_v<T>>{});
}

template <class T>
std::vector<Delayed<T>> split(const Delayed<std::vector<T>>& value, std::size_t n) {
  std::vector<Delayed<T>> parts;
  parts.reserve(n);
  auto item = delayed(
      [](const std::vector<T>& whole, std::size_t i) -> T {
        if (i >= whole.size()) {
          throw_error(ErrorKind::input, "split expected at least " + std::to_string(i + 1) +
                                            " elements, the vector has " + std::to_string(whole.size()));
        }
        return whole[i];
      },
      "getitem");
  for (std::size_t i = 0; i < n; ++i) parts.push_back(item(value, i));
  return parts;
}

}  // namespace tessera
