#pragma once
/// Tokens: content hashes of values, like Dask's `tokenize`. A Delayed call's
/// key is its function's name plus the token of its arguments, so ranks that
/// built the same graph shape from different inputs (an unsorted file list,
/// a rank-dependent literal) get different keys, and the graph check before
/// every run stops them with GraphMismatch instead of a silent wrong answer.
///
///     tessera::token(std::string("a.csv"));               // some 64-bit value, the same on every rank
///     tessera::token(std::vector<int>{1, 2}) != tessera::token(std::vector<int>{2, 1});
///     static_assert(tessera::Tokenizable<std::map<std::string, double>>);
///
///     struct Box { double lo, hi; };                      // a type of yours: say how
///     template <> struct tessera::Tokenize<Box> {
///       static void add(const Box& b, tessera::TokenHasher& h) { h.add(b.lo); h.add(b.hi); }
///     };
///
/// Built in: arithmetic types, enums, strings, trivially copyable types
/// without padding, tessera::Buffer, and std::vector, std::array, std::pair,
/// std::tuple, std::map, std::optional of tokenizable types. Other types that
/// travel between ranks (a Transport<T>, or Boost.Serialization) are hashed
/// from their encoded bytes. Types that do neither (pointers, lambdas, padded
/// structs, handles) are not tokenized: a key then covers only their type, and
/// a rank-dependent value of such a type is not detected.
#include <tessera/transport.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

namespace tessera {

/// 64-bit hash of bytes (XXH3), the same on every rank and in every run.
std::uint64_t hash_bytes(std::span<const std::byte> bytes, std::uint64_t seed = 0) noexcept;

/// Accumulates a token from parts, in order.
class TokenHasher {
 public:
  void add_bytes(std::span<const std::byte> bytes) noexcept { mix(hash_bytes(bytes, bytes.size())); }
  void add(std::string_view text) noexcept { add_bytes(std::as_bytes(std::span(text.data(), text.size()))); }
  template <class T>
    requires(std::is_arithmetic_v<T> || std::is_enum_v<T>)
  void add(T value) noexcept {
    add_bytes(std::as_bytes(std::span(&value, 1)));
  }
  /// Combines a token computed elsewhere (a key's hash, a nested token).
  void mix(std::uint64_t v) noexcept {
    h_ ^= v + 0x9e3779b97f4a7c15ull + (h_ << 6) + (h_ >> 2);
    h_ *= 0xff51afd7ed558ccdull;
    h_ ^= h_ >> 32;
  }
  std::uint64_t value() const noexcept { return h_; }

 private:
  std::uint64_t h_ = 0x6a09e667f3bcc909ull;
};

/// How a T adds itself to a token; specialise it for types of your own.
template <class T, class Enable = void>
struct Tokenize;  // no definition: not tokenizable (unless it travels, see token_of)

template <class T>
concept HasTokenize = requires(const T& v, TokenHasher& h) { Tokenize<T>::add(v, h); };

// Types whose bytes are their content: no padding, no pointers to follow.
template <class T>
inline constexpr bool bytes_are_content =
    std::is_arithmetic_v<T> || std::is_enum_v<T> ||
    (std::is_trivially_copyable_v<T> && std::has_unique_object_representations_v<T> && !std::is_pointer_v<T> &&
     !std::is_member_pointer_v<T> && !std::is_class_v<T>);

template <class T>
concept Tokenizable = HasTokenize<T> || bytes_are_content<T> || (Travels<T> && !std::is_trivially_copyable_v<T>);

/// Adds `value` to `h`; false (and nothing added but its type) when T cannot be tokenized.
template <class T>
bool add_token(const T& value, TokenHasher& h);

/// The token of a value, or nullopt when its type cannot be tokenized.
template <class T>
std::optional<std::uint64_t> token(const T& value) {
  TokenHasher h;
  if (!add_token(value, h)) return std::nullopt;
  return h.value();
}

// ---- built-in types ----------------------------------------------------------------------

template <class T>
struct Tokenize<T, std::enable_if_t<bytes_are_content<T>>> {
  static void add(const T& v, TokenHasher& h) { h.add_bytes(std::as_bytes(std::span(&v, 1))); }
};

template <>
struct Tokenize<std::string> {
  static void add(const std::string& s, TokenHasher& h) { h.add(std::string_view(s)); }
};
template <>
struct Tokenize<std::string_view> {
  static void add(std::string_view s, TokenHasher& h) { h.add(s); }
};
template <>
struct Tokenize<const char*> {
  static void add(const char* s, TokenHasher& h) { h.add(std::string_view(s)); }
};

template <class T, class Al>
struct Tokenize<std::vector<T, Al>, std::enable_if_t<HasTokenize<T> && !std::is_same_v<T, bool>>> {
  static void add(const std::vector<T, Al>& v, TokenHasher& h) {
    h.mix(v.size());
    if constexpr (bytes_are_content<T>) {
      h.add_bytes(std::as_bytes(std::span(v.data(), v.size())));
    } else {
      for (const T& e : v) Tokenize<T>::add(e, h);
    }
  }
};
template <class Al>
struct Tokenize<std::vector<bool, Al>> {
  static void add(const std::vector<bool, Al>& v, TokenHasher& h) {
    h.mix(v.size());
    for (bool b : v) h.add(static_cast<std::uint8_t>(b));
  }
};

template <class T, std::size_t N>
struct Tokenize<std::array<T, N>, std::enable_if_t<HasTokenize<T> && !bytes_are_content<std::array<T, N>>>> {
  static void add(const std::array<T, N>& a, TokenHasher& h) {
    for (const T& e : a) Tokenize<T>::add(e, h);
  }
};

template <class A, class B>
struct Tokenize<std::pair<A, B>, std::enable_if_t<HasTokenize<A> && HasTokenize<B>>> {
  static void add(const std::pair<A, B>& p, TokenHasher& h) {
    Tokenize<A>::add(p.first, h);
    Tokenize<B>::add(p.second, h);
  }
};

template <class... Ts>
struct Tokenize<std::tuple<Ts...>, std::enable_if_t<(HasTokenize<Ts> && ...)>> {
  static void add(const std::tuple<Ts...>& t, TokenHasher& h) {
    std::apply([&](const auto&... e) { (Tokenize<std::decay_t<decltype(e)>>::add(e, h), ...); }, t);
  }
};

template <class K, class V, class C, class Al>
struct Tokenize<std::map<K, V, C, Al>, std::enable_if_t<HasTokenize<K> && HasTokenize<V>>> {
  static void add(const std::map<K, V, C, Al>& m, TokenHasher& h) {
    h.mix(m.size());
    for (const auto& [k, v] : m) {
      Tokenize<K>::add(k, h);
      Tokenize<V>::add(v, h);
    }
  }
};

template <class T>
struct Tokenize<std::optional<T>, std::enable_if_t<HasTokenize<T>>> {
  static void add(const std::optional<T>& o, TokenHasher& h) {
    h.add(static_cast<std::uint8_t>(o.has_value()));
    if (o) Tokenize<T>::add(*o, h);
  }
};

template <class T>
bool add_token(const T& value, TokenHasher& h) {
  if constexpr (HasTokenize<T>) {
    Tokenize<T>::add(value, h);
    return true;
  } else if constexpr (TravelsContiguously<T> && !std::is_trivially_copyable_v<T>) {
    h.add_bytes(Transport<T>::view(value));  // a buffer of its own: its bytes are its content
    return true;
  } else if constexpr (Travels<T> && !std::is_trivially_copyable_v<T>) {
    // A type that travels (its own Transport, Boost.Serialization): its encoding is its content.
    std::vector<std::byte> bytes;
    ByteWriter out(bytes);
    Transport<T>::encode(value, out);
    h.add_bytes(bytes);
    return true;
  } else {
    h.add(std::string_view(typeid(T).name()));
    return false;
  }
}

}  // namespace tessera
