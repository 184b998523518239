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
bool parse_int64(std::string_view field, std::int64_t& out);
bool parse_float64(std::string_view field, double& out);
bool parse_bool(std::string_view field, bool& out);  // True/False/true/false/TRUE/FALSE
/// "YYYY-MM-DD", then optionally ' ' or 'T', "HH:MM", ":SS", ".fffffffff", 'Z'.
bool parse_timestamp(std::string_view field, std::int64_t& ns_since_epoch);

/// Days from 1970-01-01 to a proleptic Gregorian date (Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day);

}  // namespace tessera::csv
