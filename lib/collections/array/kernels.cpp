// The elementwise loops a Program runs over tiles, and NumPy's type
// resolution for them. Each loop is a plain pass over contiguous elements of
// one C++ type, so the compiler vectorises it; the switch on op and dtype runs
// once per tile of 1,024 elements, not per element. Integer arithmetic wraps
// as NumPy's does (computed in the unsigned type: signed overflow is undefined
// in C++), integer division by zero gives 0, and min/max propagate NaN.
#include "collections/array/expr.hpp"

#include <tessera/error.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

namespace tessera::array::detail {
namespace {

[[noreturn]] void no_loop(const char* op, DType a, std::optional<DType> b = {}) {
  std::string types(dtype_name(a));
  if (b) types += ", " + std::string(dtype_name(*b));
  throw InputError(std::string("ufunc '") + op + "' is not supported for dtype (" + types + ")");
}

template <class T>
using Wide = std::conditional_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, std::make_unsigned_t<T>, T>;

template <class T>
T wrap_add(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) return a + b;
  else return static_cast<T>(static_cast<Wide<T>>(static_cast<Wide<T>>(a) + static_cast<Wide<T>>(b)));
}
template <class T>
T wrap_sub(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) return a - b;
  else return static_cast<T>(static_cast<Wide<T>>(static_cast<Wide<T>>(a) - static_cast<Wide<T>>(b)));
}
template <class T>
T wrap_mul(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) return a * b;
  else if constexpr (sizeof(T) < sizeof(unsigned)) return static_cast<T>(static_cast<unsigned>(a) * static_cast<unsigned>(b));
  else return static_cast<T>(static_cast<Wide<T>>(a) * static_cast<Wide<T>>(b));
}
template <class T>
T floor_div(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::floor(a / b);
  } else {
    if (b == 0) return 0;
    if constexpr (std::is_signed_v<T>) {
      if (b == -1) return wrap_sub<T>(0, a);  // INT_MIN / -1 wraps, as NumPy
      T q = static_cast<T>(a / b);
      if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
      return q;
    } else {
      return static_cast<T>(a / b);
    }
  }
}
template <class T>
T py_mod(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (b == 0) return std::numeric_limits<T>::quiet_NaN();
    T r = std::fmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
  } else {
    if (b == 0) return 0;
    if constexpr (std::is_signed_v<T>) {
      if (b == -1) return 0;
      T r = static_cast<T>(a % b);
      if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
      return r;
    } else {
      return static_cast<T>(a % b);
    }
  }
}
template <class T>
T int_power(T base, T exp) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::pow(base, exp);
  } else {
    if constexpr (std::is_signed_v<T>) {
      if (exp < 0) throw InputError("Integers to negative integer powers are not allowed");
    }
    T result = 1;
    while (exp != 0) {
      if (exp & 1) result = wrap_mul(result, base);
      base = wrap_mul(base, base);
      exp = static_cast<T>(exp >> 1);
    }
    return result;
  }
}
template <class T>
T shift_left(T a, T b) {
  if (b < 0 || static_cast<std::uint64_t>(b) >= sizeof(T) * 8) return 0;
  return static_cast<T>(static_cast<Wide<T>>(a) << b);
}
template <class T>
T shift_right(T a, T b) {
  if (b < 0 || static_cast<std::uint64_t>(b) >= sizeof(T) * 8) return (std::is_signed_v<T> && a < 0) ? T(-1) : T(0);
  return static_cast<T>(a >> b);
}
template <class T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(v);
  else return false;
}

template <class T, class R, class F>
void map2(const void* a, const void* b, void* out, std::int64_t n, F f) {
  const T* x = static_cast<const T*>(a);
  const T* y = static_cast<const T*>(b);
  R* o = static_cast<R*>(out);
  for (std::int64_t k = 0; k < n; ++k) o[k] = static_cast<R>(f(x[k], y[k]));
}
template <class T, class R, class F>
void map1(const void* a, void* out, std::int64_t n, F f) {
  const T* x = static_cast<const T*>(a);
  R* o = static_cast<R*>(out);
  for (std::int64_t k = 0; k < n; ++k) o[k] = static_cast<R>(f(x[k]));
}

template <class T>
void binary_typed(BinaryOp op, const void* a, const void* b, void* out, std::int64_t n) {
  constexpr bool is_int = std::is_integral_v<T> && !std::is_same_v<T, bool>;
  constexpr bool is_bool = std::is_same_v<T, bool>;
  switch (op) {
    case BinaryOp::add:
      if constexpr (is_bool) return map2<T, T>(a, b, out, n, [](T x, T y) { return x || y; });
      else return map2<T, T>(a, b, out, n, [](T x, T y) { return wrap_add(x, y); });
    case BinaryOp::subtract:
      if constexpr (!is_bool) return map2<T, T>(a, b, out, n, [](T x, T y) { return wrap_sub(x, y); });
      break;
    case BinaryOp::multiply:
      if constexpr (is_bool) return map2<T, T>(a, b, out, n, [](T x, T y) { return x && y; });
      else return map2<T, T>(a, b, out, n, [](T x, T y) { return wrap_mul(x, y); });
    case BinaryOp::divide:
      if constexpr (std::is_floating_point_v<T>) return map2<T, T>(a, b, out, n, [](T x, T y) { return x / y; });
      break;
    case BinaryOp::floor_divide:
      if constexpr (!is_bool) return map2<T, T>(a, b, out, n, [](T x, T y) { return floor_div(x, y); });
      break;
    case BinaryOp::mod:
      if constexpr (!is_bool) return map2<T, T>(a, b, out, n, [](T x, T y) { return py_mod(x, y); });
      break;
    case BinaryOp::power:
      if constexpr (!is_bool) return map2<T, T>(a, b, out, n, [](T x, T y) { return int_power(x, y); });
      break;
    case BinaryOp::minimum:
      return map2<T, T>(a, b, out, n, [](T x, T y) { return is_nan(x) ? x : is_nan(y) ? y : (y < x ? y : x); });
    case BinaryOp::maximum:
      return map2<T, T>(a, b, out, n, [](T x, T y) { return is_nan(x) ? x : is_nan(y) ? y : (x < y ? y : x); });
    case BinaryOp::equal: return map2<T, bool>(a, b, out, n, [](T x, T y) { return x == y; });
    case BinaryOp::not_equal: return map2<T, bool>(a, b, out, n, [](T x, T y) { return x != y; });
    case BinaryOp::less: return map2<T, bool>(a, b, out, n, [](T x, T y) { return x < y; });
    case BinaryOp::less_equal: return map2<T, bool>(a, b, out, n, [](T x, T y) { return x <= y; });
    case BinaryOp::greater: return map2<T, bool>(a, b, out, n, [](T x, T y) { return x > y; });
    case BinaryOp::greater_equal: return map2<T, bool>(a, b, out, n, [](T x, T y) { return x >= y; });
    case BinaryOp::logical_and: return map2<T, bool>(a, b, out, n, [](T x, T y) { return x != T(0) && y != T(0); });
    case BinaryOp::logical_or: return map2<T, bool>(a, b, out, n, [](T x, T y) { return x != T(0) || y != T(0); });
    case BinaryOp::logical_xor: return map2<T, bool>(a, b, out, n, [](T x, T y) { return (x != T(0)) != (y != T(0)); });
    case BinaryOp::bitwise_and:
      if constexpr (is_int || is_bool) return map2<T, T>(a, b, out, n, [](T x, T y) { return static_cast<T>(x & y); });
      break;
    case BinaryOp::bitwise_or:
      if constexpr (is_int || is_bool) return map2<T, T>(a, b, out, n, [](T x, T y) { return static_cast<T>(x | y); });
      break;
    case BinaryOp::bitwise_xor:
      if constexpr (is_int || is_bool) return map2<T, T>(a, b, out, n, [](T x, T y) { return static_cast<T>(x ^ y); });
      break;
    case BinaryOp::left_shift:
      if constexpr (is_int) return map2<T, T>(a, b, out, n, [](T x, T y) { return shift_left(x, y); });
      break;
    case BinaryOp::right_shift:
      if constexpr (is_int) return map2<T, T>(a, b, out, n, [](T x, T y) { return shift_right(x, y); });
      break;
  }
  no_loop(op_name(op), dtype_of<T>(), dtype_of<T>());
}

template <class T>
void unary_typed(UnaryOp op, const void* in, void* out, std::int64_t n) {
  constexpr bool is_float = std::is_floating_point_v<T>;
  switch (op) {
    case UnaryOp::negative:
      if constexpr (!std::is_same_v<T, bool>) return map1<T, T>(in, out, n, [](T x) { return wrap_sub(T(0), x); });
      break;
    case UnaryOp::abs:
      if constexpr (is_float) return map1<T, T>(in, out, n, [](T x) { return std::fabs(x); });
      else if constexpr (std::is_signed_v<T>) return map1<T, T>(in, out, n, [](T x) { return x < 0 ? wrap_sub(T(0), x) : x; });
      else return map1<T, T>(in, out, n, [](T x) { return x; });
    case UnaryOp::sqrt:
      if constexpr (is_float) return map1<T, T>(in, out, n, [](T x) { return std::sqrt(x); });
      break;
    case UnaryOp::exp:
      if constexpr (is_float) return map1<T, T>(in, out, n, [](T x) { return std::exp(x); });
      break;
    case UnaryOp::log:
      if constexpr (is_float) return map1<T, T>(in, out, n, [](T x) { return std::log(x); });
      break;
    case UnaryOp::log1p:
      if constexpr (is_float) return map1<T, T>(in, out, n, [](T x) { return std::log1p(x); });
      break;
    case UnaryOp::sin:
      if constexpr (is_float) return map1<T, T>(in, out, n, [](T x) { return std::sin(x); });
      break;
    case UnaryOp::cos:
      if constexpr (is_float) return map1<T, T>(in, out, n, [](T x) { return std::cos(x); });
      break;
    case UnaryOp::tanh:
      if constexpr (is_float) return map1<T, T>(in, out, n, [](T x) { return std::tanh(x); });
      break;
    case UnaryOp::floor:
      if constexpr (is_float) return map1<T, T>(in, out, n, [](T x) { return std::floor(x); });
      break;
    case UnaryOp::ceil:
      if constexpr (is_float) return map1<T, T>(in, out, n, [](T x) { return std::ceil(x); });
      break;
    case UnaryOp::isnan: return map1<T, bool>(in, out, n, [](T x) { return is_nan(x); });
    case UnaryOp::isfinite:
      if constexpr (is_float) return map1<T, bool>(in, out, n, [](T x) { return std::isfinite(x); });
      else return map1<T, bool>(in, out, n, [](T) { return true; });
    case UnaryOp::logical_not: return map1<T, bool>(in, out, n, [](T x) { return x == T(0); });
    case UnaryOp::invert:
      if constexpr (std::is_same_v<T, bool>) return map1<T, T>(in, out, n, [](T x) { return !x; });
      else if constexpr (std::is_integral_v<T>) return map1<T, T>(in, out, n, [](T x) { return static_cast<T>(~x); });
      break;
  }
  no_loop(op_name(op), dtype_of<T>());
}

template <class From, class To>
void cast_typed(const void* in, void* out, std::int64_t n) {
  const From* x = static_cast<const From*>(in);
  To* o = static_cast<To*>(out);
  if constexpr (std::is_same_v<To, bool>) {
    for (std::int64_t k = 0; k < n; ++k) o[k] = x[k] != From(0);
  } else {
    for (std::int64_t k = 0; k < n; ++k) o[k] = static_cast<To>(x[k]);
  }
}

}  // namespace

const char* op_name(UnaryOp op) {
  static constexpr const char* names[] = {"negative", "absolute", "sqrt",     "exp",         "log",
                                          "log1p",    "sin",      "cos",      "tanh",        "floor",
                                          "ceil",     "isnan",    "isfinite", "logical_not", "invert"};
  return names[static_cast<int>(op)];
}
const char* op_name(BinaryOp op) {
  static constexpr const char* names[] = {
      "add",     "subtract",  "multiply",   "true_divide", "floor_divide",  "remainder",   "power",      "minimum",
      "maximum", "equal",     "not_equal",  "less",        "less_equal",    "greater",     "greater_equal",
      "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "left_shift",
      "right_shift"};
  return names[static_cast<int>(op)];
}
const char* op_name(ReduceOp op) {
  static constexpr const char* names[] = {"sum",    "prod",    "mean",      "min",       "max",     "var",   "std",
                                          "argmin", "argmax",  "any",       "all",       "nansum",  "nanprod",
                                          "nanmean", "nanmin", "nanmax",    "nanvar",    "nanstd",  "nanargmin",
                                          "nanargmax"};
  return names[static_cast<int>(op)];
}

DType unary_compute(UnaryOp op, DType in) {
  switch (op) {
    case UnaryOp::sqrt: case UnaryOp::exp: case UnaryOp::log: case UnaryOp::log1p:
    case UnaryOp::sin: case UnaryOp::cos: case UnaryOp::tanh: case UnaryOp::floor: case UnaryOp::ceil:
      // NumPy gives float16 for 1-byte inputs; there is no float16 here: float32.
      if (is_float(in)) return in;
      return itemsize(in) <= 2 && op != UnaryOp::floor && op != UnaryOp::ceil ? DType::float32 : DType::float64;
    case UnaryOp::negative:
      if (in == DType::bool_) throw InputError("the boolean negative, the `-` operator, is not supported; use `~` or logical_not");
      return in;
    case UnaryOp::invert:
      if (is_float(in)) no_loop(op_name(op), in);
      return in;
    default: return in;
  }
}

DType unary_result(UnaryOp op, DType in) {
  switch (op) {
    case UnaryOp::isnan: case UnaryOp::isfinite: case UnaryOp::logical_not: return DType::bool_;
    default: return unary_compute(op, in);
  }
}

DType binary_compute(BinaryOp op, DType a, DType b) {
  const DType p = promote_types(a, b);
  switch (op) {
    case BinaryOp::subtract:
      if (p == DType::bool_)
        throw InputError("numpy boolean subtract, the `-` operator, is not supported; use `^` or logical_xor");
      return p;
    case BinaryOp::divide: return is_float(p) ? p : DType::float64;
    case BinaryOp::floor_divide: case BinaryOp::mod: case BinaryOp::power:
      return p == DType::bool_ ? DType::int8 : p;
    case BinaryOp::logical_and: case BinaryOp::logical_or: case BinaryOp::logical_xor: return DType::bool_;
    case BinaryOp::bitwise_and: case BinaryOp::bitwise_or: case BinaryOp::bitwise_xor:
      if (is_float(p)) no_loop(op_name(op), a, b);
      return p;
    case BinaryOp::left_shift: case BinaryOp::right_shift:
      if (!is_integer(p)) no_loop(op_name(op), a, b);
      return p;
    default: return p;
  }
}

DType binary_result(BinaryOp op, DType compute) {
  switch (op) {
    case BinaryOp::equal: case BinaryOp::not_equal: case BinaryOp::less: case BinaryOp::less_equal:
    case BinaryOp::greater: case BinaryOp::greater_equal: case BinaryOp::logical_and: case BinaryOp::logical_or:
    case BinaryOp::logical_xor:
      return DType::bool_;
    default: return compute;
  }
}

void cast_kernel(DType from, const void* in, DType to, void* out, std::int64_t n) {
  visit_dtype(from, [&](auto f) {
    visit_dtype(to, [&](auto t) { cast_typed<decltype(f), decltype(t)>(in, out, n); });
  });
}

void unary_kernel(UnaryOp op, DType in_dtype, const void* in, DType, void* out, std::int64_t n) {
  visit_dtype(in_dtype, [&](auto t) { unary_typed<decltype(t)>(op, in, out, n); });
}

void binary_kernel(BinaryOp op, DType in_dtype, const void* a, const void* b, DType, void* out, std::int64_t n) {
  visit_dtype(in_dtype, [&](auto t) { binary_typed<decltype(t)>(op, a, b, out, n); });
}

void where_kernel(DType dtype, const void* cond, const void* a, const void* b, void* out, std::int64_t n) {
  const bool* c = static_cast<const bool*>(cond);
  visit_dtype(dtype, [&](auto t) {
    using T = decltype(t);
    const T* x = static_cast<const T*>(a);
    const T* y = static_cast<const T*>(b);
    T* o = static_cast<T*>(out);
    for (std::int64_t k = 0; k < n; ++k) o[k] = c[k] ? x[k] : y[k];
  });
}

void fill_kernel(DType dtype, const void* in, void* out, std::int64_t n) {
  visit_dtype(dtype, [&](auto t) {
    using T = decltype(t);
    const T v = *static_cast<const T*>(in);
    T* o = static_cast<T*>(out);
    for (std::int64_t k = 0; k < n; ++k) o[k] = v;
  });
}

}  // namespace tessera::array::detail
