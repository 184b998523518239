#pragma once
// One CSV field's text as a value of its column's type: pandas' NA tokens,
// int64 with std::from_chars, float64 with fast_float (never strtod), pandas'
// bool literals, and ISO 8601 timestamps as int64 ns since the epoch (UTC).
#include <tessera/io/csv.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::csv {

/// The fields that mean null: pandas' default set (unless keep_default_na is
/// false) plus options.na_values. contains() rejects most fields on their
/// length and first byte before comparing any text.
class NaTokens {
 public:
  explicit NaTokens(const dataframe::CsvOptions& options);
  bool contains(std::string_view field) const {
    if (field.empty()) return empty_is_na_;
    if (field.size() < 64 ? ((lengths_ >> field.size()) & 1) == 0 : !has_long_) return false;
    if (!first_bytes_[static_cast<unsigned char>(field[0])]) return false;
    for (const std::string& t : tokens_) {
      if (t == field) return true;
    }
    return false;
  }
  /// Whether some token also reads as a number other than NaN (a user's
  /// "-999"): then a field that parsed as a number must still be looked up.
  /// (A field read as NaN must always be: "nan" is a default token.)
  bool has_numeric_tokens() const { return has_numeric_; }

 private:
  std::vector<std::string> tokens_;  // without the empty one
  std::array<bool, 256> first_bytes_{};
  std::uint64_t lengths_ = 0;  // bit n: some token has n bytes (n < 64)
  bool has_long_ = false, empty_is_na_ = false, has_numeric_ = false;
};

/// Whole-field parses; leading/trailing blanks and a leading '+' are
/// accepted like pandas. false when the field is not such a value.
/// parse_int64/parse_float64 are inline for short plain numbers (most
/// fields of a numeric column) and call the general ones for the rest.
bool parse_int64_general(std::string_view field, std::int64_t& out);    // from_chars, then blanks and '+'
bool parse_float64_general(std::string_view field, double& out);        // fast_float, then blanks and '+'

/// [-]digits with at most 18 digits (cannot overflow) here; the rest as std::from_chars.
inline bool parse_int64(std::string_view field, std::int64_t& out) {
  const char* p = field.data();
  const char* const end = p + field.size();
  const bool negative = p != end && *p == '-';
  p += negative;
  if (end - p == 0 || end - p > 18) return parse_int64_general(field, out);
  std::uint64_t value = 0;
  for (; p != end; ++p) {
    const auto digit = static_cast<unsigned>(*p - '0');
    if (digit > 9) return parse_int64_general(field, out);
    value = value * 10 + digit;
  }
  out = negative ? -static_cast<std::int64_t>(value) : static_cast<std::int64_t>(value);
  return true;
}

/// [-]digits[.digits] with at most 19 digits, a value below 2^53 and at most
/// 22 after the point here: the digits as an integer are an exact double, and
/// so is 10^k, so one IEEE division rounds correctly (Clinger's fast path,
/// the value fast_float gives). The rest goes to fast_float.
inline bool parse_float64(std::string_view field, double& out) {
  static constexpr double kPowersOf10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                           1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const char* p = field.data();
  const char* const end = p + field.size();
  const bool negative = p != end && *p == '-';
  p += negative;
  std::uint64_t digits = 0;
  const char* const int_start = p;
  for (; p != end && static_cast<unsigned>(*p - '0') <= 9; ++p) digits = digits * 10 + static_cast<unsigned>(*p - '0');
  const std::ptrdiff_t int_digits = p - int_start;
  std::ptrdiff_t fraction_digits = 0;
  if (p != end && *p == '.') {
    const char* const fraction_start = ++p;
    for (; p != end && static_cast<unsigned>(*p - '0') <= 9; ++p) digits = digits * 10 + static_cast<unsigned>(*p - '0');
    fraction_digits = p - fraction_start;
    if (fraction_digits == 0) return parse_float64_general(field, out);  // "1.": fast_float decides
  }
  if (p != end || int_digits == 0 || int_digits + fraction_digits > 19 || fraction_digits > 22 ||
      digits > (std::uint64_t{1} << 53)) {
    return parse_float64_general(field, out);
  }
  const double value = static_cast<double>(digits) / kPowersOf10[fraction_digits];
  out = negative ? -value : value;
  return true;
}

bool parse_bool(std::string_view field, bool& out);  // True/False/true/false/TRUE/FALSE
/// "YYYY-MM-DD", then optionally ' ' or 'T', "HH:MM", ":SS", ".fffffffff", 'Z'.
bool parse_timestamp(std::string_view field, std::int64_t& ns_since_epoch);

}  // namespace tessera::csv
