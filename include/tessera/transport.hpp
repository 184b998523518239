#pragma once
/// Transport<T>: how a value of type T travels between ranks, said once per type.
///
///     struct Particle { double x, y, z; };     // trivially copyable: travels as its bytes
///     struct Table { std::vector<std::string> names; std::vector<double> values; };
///     template <> struct tessera::Transport<Table> {
///       static void encode(const Table& t, tessera::ByteWriter& out) { out.put(t.names); out.put(t.values); }
///       static Table decode(tessera::ByteReader& in) { Table t; in.get(t.names); in.get(t.values); return t; }
///     };
///
/// Built in: arithmetic types and enums, trivially copyable structs,
/// std::string, std::vector / std::array of arithmetic types (these travel as
/// their raw buffer, received straight into the new value: no serialisation
/// copy), and std::vector, std::pair, std::tuple, std::map, std::optional of
/// types that travel. A result whose type cannot travel is an error naming
/// the type and the key when it has to move, never a silent corruption.
/// Pointers never travel.
#include <tessera/error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace tessera {

template <class T, class Enable = void>
struct Transport;  // no definition: the type does not travel

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<std::byte>& out) : out_(out) {}
  void write(const void* data, std::size_t n) {
    if (n == 0) return;
    const std::size_t at = out_.size();
    out_.resize(at + n);
    std::memcpy(out_.data() + at, data, n);
  }
  /// The bytes written so far (for a length patched in after its contents).
  std::vector<std::byte>& bytes() { return out_; }
  template <class T>
  void put(const T& value) { Transport<T>::encode(value, *this); }

 private:
  std::vector<std::byte>& out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::byte> in) : in_(in) {}
  void read(void* data, std::size_t n);  // throws InputError past the end
  /// The next n bytes in place, skipped over (InputError past the end).
  std::span<const std::byte> take(std::size_t n);
  template <class T>
  void get(T& value) { value = Transport<T>::decode(*this); }
  template <class T>
  T get() { return Transport<T>::decode(*this); }
  std::size_t remaining() const { return in_.size() - pos_; }

 private:
  std::span<const std::byte> in_;
  std::size_t pos_ = 0;
};

/// Encoding for any type whose Transport gives view(), make() and buffer():
/// a length, then the bytes.
template <class T>
struct RawBytesEncoding {
  static void encode(const T& value, ByteWriter& out) {
    auto bytes = Transport<T>::view(value);
    std::uint64_t n = bytes.size();
    out.write(&n, sizeof n);
    out.write(bytes.data(), bytes.size());
  }
  static T decode(ByteReader& in) {
    std::uint64_t n = 0;
    in.read(&n, sizeof n);
    T value = Transport<T>::make(static_cast<std::size_t>(n));
    auto buf = Transport<T>::buffer(value);
    in.read(buf.data(), buf.size());
    return value;
  }
};

/// Containers whose value is one contiguous run of elements: sent and received in place.
template <class T>
struct ContiguousTransport : RawBytesEncoding<T> {
  static std::span<const std::byte> view(const T& value);
  static T make(std::size_t nbytes);  // sized to receive nbytes
  static std::span<std::byte> buffer(T& value);
};

template <class T>
concept Travels = requires { Transport<T>::decode(std::declval<ByteReader&>()); };

template <class T>
concept TravelsContiguously = Travels<T> && requires(const T& v) { Transport<T>::view(v); };

// Arithmetic types, enums and trivially copyable structs: their bytes.
template <class T>
struct Transport<T, std::enable_if_t<std::is_trivially_copyable_v<T> && !std::is_pointer_v<T> &&
                                     !std::is_member_pointer_v<T>>> {
  static std::span<const std::byte> view(const T& v) { return {reinterpret_cast<const std::byte*>(&v), sizeof(T)}; }
  static T make(std::size_t) { return T{}; }
  static std::span<std::byte> buffer(T& v) { return {reinterpret_cast<std::byte*>(&v), sizeof(T)}; }
  static void encode(const T& v, ByteWriter& out) { out.write(&v, sizeof(T)); }
  static T decode(ByteReader& in) {
    T v;
    in.read(&v, sizeof(T));
    return v;
  }
};

template <>
struct Transport<std::string> : ContiguousTransport<std::string> {};

template <class T>
inline constexpr bool is_raw_element = std::is_arithmetic_v<T> && !std::is_same_v<T, bool>;

template <class T>
struct Transport<std::vector<T>, std::enable_if_t<is_raw_element<T>>> : ContiguousTransport<std::vector<T>> {};

template <class T, std::size_t N>
struct Transport<std::array<T, N>, std::enable_if_t<!std::is_trivially_copyable_v<std::array<T, N>> && Travels<T>>> {
  static void encode(const std::array<T, N>& a, ByteWriter& out) {
    for (const auto& e : a) out.put(e);
  }
  static std::array<T, N> decode(ByteReader& in) {
    std::array<T, N> a;
    for (auto& e : a) in.get(e);
    return a;
  }
};

template <class T>
struct Transport<std::vector<T>, std::enable_if_t<!is_raw_element<T> && Travels<T>>> {
  static void encode(const std::vector<T>& v, ByteWriter& out) {
    std::uint64_t n = v.size();
    out.write(&n, sizeof n);
    for (const T& e : v) out.put<T>(e);  // T, not auto: vector<bool> yields proxies
  }
  static std::vector<T> decode(ByteReader& in) {
    std::uint64_t n = 0;
    in.read(&n, sizeof n);
    std::vector<T> v;
    v.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(n, in.remaining())));
    for (std::uint64_t i = 0; i < n; ++i) v.push_back(in.get<T>());
    return v;
  }
};

template <class A, class B>
struct Transport<std::pair<A, B>, std::enable_if_t<!std::is_trivially_copyable_v<std::pair<A, B>> && Travels<A> &&
                                                   Travels<B>>> {
  static void encode(const std::pair<A, B>& p, ByteWriter& out) {
    out.put(p.first);
    out.put(p.second);
  }
  static std::pair<A, B> decode(ByteReader& in) {
    A a = in.get<A>();
    B b = in.get<B>();
    return {std::move(a), std::move(b)};
  }
};

template <class... Ts>
struct Transport<std::tuple<Ts...>, std::enable_if_t<!std::is_trivially_copyable_v<std::tuple<Ts...>> &&
                                                     (Travels<Ts> && ...)>> {
  static void encode(const std::tuple<Ts...>& t, ByteWriter& out) {
    std::apply([&](const auto&... e) { (out.put(e), ...); }, t);
  }
  static std::tuple<Ts...> decode(ByteReader& in) {
    return std::tuple<Ts...>{in.get<Ts>()...};  // braced: read left to right
  }
};

template <class K, class V, class C, class A>
struct Transport<std::map<K, V, C, A>, std::enable_if_t<Travels<K> && Travels<V>>> {
  static void encode(const std::map<K, V, C, A>& m, ByteWriter& out) {
    std::uint64_t n = m.size();
    out.write(&n, sizeof n);
    for (const auto& [k, v] : m) {
      out.put(k);
      out.put(v);
    }
  }
  static std::map<K, V, C, A> decode(ByteReader& in) {
    std::uint64_t n = 0;
    in.read(&n, sizeof n);
    std::map<K, V, C, A> m;
    for (std::uint64_t i = 0; i < n; ++i) {
      K k = in.get<K>();
      m.emplace_hint(m.end(), std::move(k), in.get<V>());
    }
    return m;
  }
};

template <class T>
struct Transport<std::optional<T>, std::enable_if_t<!std::is_trivially_copyable_v<std::optional<T>> && Travels<T>>> {
  static void encode(const std::optional<T>& o, ByteWriter& out) {
    std::uint8_t has = o.has_value();
    out.write(&has, 1);
    if (o) out.put(*o);
  }
  static std::optional<T> decode(ByteReader& in) {
    std::uint8_t has = 0;
    in.read(&has, 1);
    if (!has) return std::nullopt;
    return in.get<T>();
  }
};

/// Errors travel too: a failure on one rank is rethrown on the others.
template <>
struct Transport<ErrorInfo> {
  static void encode(const ErrorInfo& e, ByteWriter& out);
  static ErrorInfo decode(ByteReader& in);
};

template <class T>
std::span<const std::byte> ContiguousTransport<T>::view(const T& value) {
  return {reinterpret_cast<const std::byte*>(value.data()), value.size() * sizeof(typename T::value_type)};
}
template <class T>
T ContiguousTransport<T>::make(std::size_t nbytes) {
  T value;
  value.resize(nbytes / sizeof(typename T::value_type));
  return value;
}
template <class T>
std::span<std::byte> ContiguousTransport<T>::buffer(T& value) {
  return {reinterpret_cast<std::byte*>(value.data()), value.size() * sizeof(typename T::value_type)};
}

}  // namespace tessera
