// NumPy's dtype names, promotion and casting rules, for the eleven dtypes an
// Array holds. Promotion follows np.promote_types: within a kind the larger
// size; signed with unsigned the signed type twice the unsigned size (uint64
// with a signed type has none: float64); integers with float32 stay float32
// only up to 16 bits.
#include <tessera/dtype.hpp>
#include <tessera/error.hpp>

#include <algorithm>
#include <array>
#include <string>

namespace tessera {
namespace {

constexpr std::array<std::string_view, dtype_count> names = {
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64"};

DType signed_of_size(std::size_t bytes) {
  switch (bytes) {
    case 1: return DType::int8;
    case 2: return DType::int16;
    case 4: return DType::int32;
    default: return DType::int64;
  }
}

}  // namespace

std::string_view dtype_name(DType dtype) { return names[static_cast<std::size_t>(dtype)]; }

DType parse_dtype(std::string_view name) {
  for (int i = 0; i < dtype_count; ++i) {
    if (names[static_cast<std::size_t>(i)] == name) return static_cast<DType>(i);
  }
  struct Alias {
    std::string_view name;
    DType dtype;
  };
  static constexpr Alias aliases[] = {
      {"bool_", DType::bool_},   {"?", DType::bool_},       {"b1", DType::bool_},       {"double", DType::float64},
      {"float", DType::float64}, {"f8", DType::float64},    {"<f8", DType::float64},    {"f4", DType::float32},
      {"<f4", DType::float32},   {"single", DType::float32}, {"int", DType::int64},     {"i8", DType::int64},
      {"<i8", DType::int64},     {"i4", DType::int32},      {"<i4", DType::int32},      {"i2", DType::int16},
      {"i1", DType::int8},       {"u1", DType::uint8},      {"u2", DType::uint16},      {"u4", DType::uint32},
      {"u8", DType::uint64},     {"<u8", DType::uint64},    {"<u4", DType::uint32},     {"<i2", DType::int16},
      {"<u2", DType::uint16}};
  for (const Alias& a : aliases) {
    if (a.name == name) return a.dtype;
  }
  std::string known;
  for (auto n : names) known += (known.empty() ? "" : ", ") + std::string(n);
  throw_error(ErrorKind::input, "unknown dtype \"" + std::string(name) + "\" (known: " + known + ")");
}

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  if (a == DType::bool_) return b;
  if (b == DType::bool_) return a;
  if (is_float(a) || is_float(b)) {
    if (is_float(a) && is_float(b)) return std::max(a, b);
    const DType i = is_float(a) ? b : a;
    const DType f = is_float(a) ? a : b;
    return itemsize(i) <= 2 ? f : DType::float64;
  }
  if (is_signed_int(a) == is_signed_int(b)) return itemsize(a) >= itemsize(b) ? a : b;
  const DType s = is_signed_int(a) ? a : b;
  const DType u = is_signed_int(a) ? b : a;
  if (itemsize(s) > itemsize(u)) return s;
  if (itemsize(u) == 8) return DType::float64;
  return signed_of_size(2 * itemsize(u));
}

bool can_cast(DType from, DType to, Casting casting) {
  switch (casting) {
    case Casting::no:
    case Casting::equiv: return from == to;
    case Casting::unsafe: return true;
    case Casting::safe: return promote_types(from, to) == to;
    case Casting::same_kind: {
      if (promote_types(from, to) == to) return true;
      auto kind = [](DType d) { return d == DType::bool_ ? 0 : is_unsigned_int(d) ? 1 : is_signed_int(d) ? 2 : 3; };
      // Within a kind any size; unsigned to signed too (NumPy: 'u' -> 'i' is same_kind).
      const int kf = kind(from), kt = kind(to);
      return kf == kt || (kf == 1 && kt == 2) || (kf <= 2 && kt == 3) || (kf == 0);
    }
  }
  return false;
}

}  // namespace tessera
