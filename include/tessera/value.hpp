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

#include <cstddef>
#include <map>
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

class ValueHolderBase {
 public:
  virtual ~ValueHolderBase() = default;
  virtual const std::type_info& type() const noexcept = 0;
  virtual std::size_t nbytes() const noexcept = 0;
};

template <class T>
class ValueHolder final : public ValueHolderBase {
 public:
  template <class... A>
  explicit ValueHolder(A&&... args) : value(std::forward<A>(args)...) {}
  const std::type_info& type() const noexcept override { return typeid(T); }
  std::size_t nbytes() const noexcept override { return nbytes_of(value); }
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

 private:
  std::shared_ptr<const detail::ValueHolderBase> holder_;
};

}  // namespace tessera
