#pragma once
/// DType: the element type of an Array, chosen at run time, with NumPy's names
/// and NumPy's promotion rules.
///
///     tessera::DType t = tessera::promote_types(tessera::DType::int32, tessera::DType::float32);
///     t == tessera::DType::float64;                   // as NumPy says
///     tessera::dtype_name(t);                         // "float64"
///     tessera::parse_dtype("int64");                  // DType::int64; InputError for "int65"
///     tessera::can_cast(DType::float64, DType::int32);  // false under "same_kind"
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace tessera {

enum class DType : std::uint8_t { bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float32, float64 };
inline constexpr int dtype_count = 11;

/// NumPy's name: "bool", "int8", ..., "float64".
std::string_view dtype_name(DType dtype);
/// The dtype named `name` (NumPy's names; also "double", "float", "int", "i8", "f8", "<f8"...);
/// InputError naming it otherwise.
DType parse_dtype(std::string_view name);

constexpr std::size_t itemsize(DType dtype) {
  switch (dtype) {
    case DType::bool_: case DType::int8: case DType::uint8: return 1;
    case DType::int16: case DType::uint16: return 2;
    case DType::int32: case DType::uint32: case DType::float32: return 4;
    default: return 8;
  }
}
constexpr bool is_float(DType d) { return d == DType::float32 || d == DType::float64; }
constexpr bool is_signed_int(DType d) { return d >= DType::int8 && d <= DType::int64; }
constexpr bool is_unsigned_int(DType d) { return d >= DType::uint8 && d <= DType::uint64; }
constexpr bool is_integer(DType d) { return is_signed_int(d) || is_unsigned_int(d); }

/// NumPy's np.promote_types: the smallest type both convert to safely
/// (int32 + float32 -> float64, uint64 + int64 -> float64, int8 + uint8 -> int16).
DType promote_types(DType a, DType b);

/// NumPy's casting rules: "no", "equiv", "safe", "same_kind", "unsafe".
enum class Casting : std::uint8_t { no, equiv, safe, same_kind, unsafe };
bool can_cast(DType from, DType to, Casting casting = Casting::safe);

/// The C++ type of each dtype, and back.
template <DType D>
struct DTypeTraits;
#define TESSERA_DTYPE_TRAITS(D, T) \
  template <>                      \
  struct DTypeTraits<DType::D> {   \
    using type = T;                \
  };
TESSERA_DTYPE_TRAITS(bool_, bool)
TESSERA_DTYPE_TRAITS(int8, std::int8_t)
TESSERA_DTYPE_TRAITS(int16, std::int16_t)
TESSERA_DTYPE_TRAITS(int32, std::int32_t)
TESSERA_DTYPE_TRAITS(int64, std::int64_t)
TESSERA_DTYPE_TRAITS(uint8, std::uint8_t)
TESSERA_DTYPE_TRAITS(uint16, std::uint16_t)
TESSERA_DTYPE_TRAITS(uint32, std::uint32_t)
TESSERA_DTYPE_TRAITS(uint64, std::uint64_t)
TESSERA_DTYPE_TRAITS(float32, float)
TESSERA_DTYPE_TRAITS(float64, double)
#undef TESSERA_DTYPE_TRAITS
template <DType D>
using cpp_type_t = typename DTypeTraits<D>::type;

template <class T>
constexpr DType dtype_of() {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, bool>) return DType::bool_;
  else if constexpr (std::is_same_v<U, double>) return DType::float64;
  else if constexpr (std::is_same_v<U, float>) return DType::float32;
  else if constexpr (std::is_integral_v<U> && std::is_signed_v<U>) {
    if constexpr (sizeof(U) == 1) return DType::int8;
    else if constexpr (sizeof(U) == 2) return DType::int16;
    else if constexpr (sizeof(U) == 4) return DType::int32;
    else return DType::int64;
  } else {
    static_assert(std::is_integral_v<U> && std::is_unsigned_v<U>, "no dtype for this type");
    if constexpr (sizeof(U) == 1) return DType::uint8;
    else if constexpr (sizeof(U) == 2) return DType::uint16;
    else if constexpr (sizeof(U) == 4) return DType::uint32;
    else return DType::uint64;
  }
}

/// Calls f(T{}) with the C++ type of `dtype`: one switch for the kernels.
template <class F>
decltype(auto) visit_dtype(DType dtype, F&& f) {
  switch (dtype) {
    case DType::bool_: return f(bool{});
    case DType::int8: return f(std::int8_t{});
    case DType::int16: return f(std::int16_t{});
    case DType::int32: return f(std::int32_t{});
    case DType::int64: return f(std::int64_t{});
    case DType::uint8: return f(std::uint8_t{});
    case DType::uint16: return f(std::uint16_t{});
    case DType::uint32: return f(std::uint32_t{});
    case DType::uint64: return f(std::uint64_t{});
    case DType::float32: return f(float{});
    default: return f(double{});
  }
}

}  // namespace tessera
