#pragma once
/// Value: a task's result, type-erased, immutable and shared.
///
///     tessera::Value v = tessera::Value::of(std::vector<double>{1, 2, 3});
///     const auto& xs = v.get<std::vector<double>>();   // TypeError if it holds another type
///     v.nbytes();                                      // 24 + the vector itself
///
/// Results are shared by every task that reads them and are never modified
/// after the task that made them returns, so copies are reference counts.
/// nbytes() is the value's own measure (a buffer's length, a string's size,
/// or `std::size_t nbytes() const` when the type has one): memory accounting
/// and spilling rest on it, never on sizeof alone.
#include <tessera/error.hpp>
#include <tessera/transport.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

namespace tessera {

/// What a task that returns void produces.
struct None {
  friend bool operator==(None, None) { return true; }
};

namespace detail {

template <class T>
concept HasNbytes = requires(const T& v) {
  { v.nbytes() } -> std::convertible_to<std::size_t>;
};

template <class T>
std::size_t nbytes_of(const T& value);

template <class T>
std::size_t nbytes_of_range(const T& range) {
  using E = typename T::value_type;
  if constexpr (std::is_arithmetic_v<E>) {
    return range.size() * sizeof(E);
  } else {
    std::size_t total = 0;
    for (const auto& e : range) total += nbytes_of(e);
    return total;
  }
}

template <class T>
std::size_t nbytes_of(const T& value) {
  if constexpr (HasNbytes<T>) {
    return value.nbytes();
  } else if constexpr (std::is_same_v<T, std::string>) {
    return sizeof(T) + value.size();
  } else if constexpr (requires { typename T::value_type; value.begin(); value.size(); }) {
    return sizeof(T) + nbytes_of_range(value);
  } else {
    return sizeof(T);
  }
}

class ValueHolderBase;

/// How values of one type cross ranks; one per type, registered under a hash
/// of the type's name so that a receiving rank (the same program) finds it.
struct ValueCodec {
  const std::type_info* type = nullptr;
  std::uint64_t type_id = 0;
  bool travels = false;
  bool contiguous = false;
  /// Contiguous types: the bytes in place, and a new value with room for nbytes.
  std::span<const std::byte> (*view)(const ValueHolderBase&) = nullptr;
  std::shared_ptr<ValueHolderBase> (*make)(std::size_t nbytes, std::span<std::byte>& buffer) = nullptr;
  /// Every travelling type: to and from a byte string.
  void (*encode)(const ValueHolderBase&, std::vector<std::byte>& out) = nullptr;
  std::shared_ptr<ValueHolderBase> (*decode)(std::span<const std::byte> bytes) = nullptr;
};

bool register_codec(const ValueCodec* codec);

/// FNV-1a of the mangled type name: the same in every rank of one program.
inline std::uint64_t type_name_hash(const char* name) {
  std::uint64_t h = 1469598103934665603ull;
  for (const char* p = name; *p; ++p) h = (h ^ static_cast<unsigned char>(*p)) * 1099511628211ull;
  return h;
}
const ValueCodec* find_codec(std::uint64_t type_id);

class ValueHolderBase {
 public:
  virtual ~ValueHolderBase() = default;
  virtual const std::type_info& type() const noexcept = 0;
  virtual std::size_t nbytes() const noexcept = 0;
  virtual const ValueCodec& codec() const noexcept = 0;
};

template <class T>
class ValueHolder;

template <class T>
ValueCodec make_codec() {
  ValueCodec c;
  c.type = &typeid(T);
  c.type_id = type_name_hash(typeid(T).name());
  if constexpr (Travels<T>) {
    c.travels = true;
    c.encode = [](const ValueHolderBase& h, std::vector<std::byte>& out) {
      ByteWriter writer(out);
      Transport<T>::encode(static_cast<const ValueHolder<T>&>(h).value, writer);
    };
    c.decode = [](std::span<const std::byte> bytes) -> std::shared_ptr<ValueHolderBase> {
      ByteReader reader(bytes);
      return std::make_shared<ValueHolder<T>>(Transport<T>::decode(reader));
    };
    if constexpr (TravelsContiguously<T>) {
      c.contiguous = true;
      c.view = [](const ValueHolderBase& h) { return Transport<T>::view(static_cast<const ValueHolder<T>&>(h).value); };
      c.make = [](std::size_t nbytes, std::span<std::byte>& buffer) -> std::shared_ptr<ValueHolderBase> {
        auto holder = std::make_shared<ValueHolder<T>>(Transport<T>::make(nbytes));
        buffer = Transport<T>::buffer(holder->value);
        return holder;
      };
    }
  }
  return c;
}

template <class T>
struct CodecOf {
  static const ValueCodec& codec() {
    static const ValueCodec c = make_codec<T>();
    return c;
  }
  // Registered when the program starts (for every type ever held in a Value),
  // so a rank can decode a type it has not made itself yet.
  static inline const bool registered = register_codec(&codec());
};

template <class T>
class ValueHolder final : public ValueHolderBase {
 public:
  template <class... A>
  explicit ValueHolder(A&&... args) : value(std::forward<A>(args)...) {}
  const std::type_info& type() const noexcept override { return typeid(T); }
  std::size_t nbytes() const noexcept override { return nbytes_of(value); }
  const ValueCodec& codec() const noexcept override {
    (void)CodecOf<T>::registered;
    return CodecOf<T>::codec();
  }
  T value;
};

[[noreturn]] void throw_bad_value_type(const std::type_info& held, const std::type_info& wanted);

}  // namespace detail

class Value {
 public:
  Value() = default;

  template <class T>
  static Value of(T&& value) {
    using D = std::decay_t<T>;
    static_assert(!std::is_same_v<D, Value>, "a Value does not hold another Value");
    Value v;
    v.holder_ = std::make_shared<const detail::ValueHolder<D>>(std::forward<T>(value));
    return v;
  }

  bool has_value() const noexcept { return holder_ != nullptr; }
  explicit operator bool() const noexcept { return has_value(); }

  const std::type_info& type() const noexcept { return holder_ ? holder_->type() : typeid(void); }
  std::string type_name() const { return demangle(type().name()); }
  std::size_t nbytes() const noexcept { return holder_ ? holder_->nbytes() : 0; }
  /// A hash of the content (its bytes, or its encoding when it travels
  /// encoded), the same on every rank; 0 for a type that cannot travel.
  std::uint64_t content_token() const;

  template <class T>
  const T* get_if() const noexcept {
    if (!holder_ || holder_->type() != typeid(T)) return nullptr;
    return &static_cast<const detail::ValueHolder<T>*>(holder_.get())->value;
  }

  /// The held value; throws TypeError naming both types when it holds another.
  template <class T>
  const T& get() const {
    if (const T* p = get_if<T>()) return *p;
    detail::throw_bad_value_type(type(), typeid(T));
  }

  /// Whether both handles share one result (not a comparison of contents).
  bool same_as(const Value& other) const noexcept { return holder_ == other.holder_; }
  long use_count() const noexcept { return holder_.use_count(); }

  /// For the transport: the holder, and a Value around a received one.
  const detail::ValueHolderBase* holder() const noexcept { return holder_.get(); }
  static Value from_holder(std::shared_ptr<const detail::ValueHolderBase> holder) {
    Value v;
    v.holder_ = std::move(holder);
    return v;
  }

 private:
  std::shared_ptr<const detail::ValueHolderBase> holder_;
};

}  // namespace tessera
