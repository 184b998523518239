#include "io/csv/field_values.hpp"
#include "table/civil_time.hpp"

#include <fast_float/fast_float.h>

#include <charconv>
#include <cmath>

namespace tessera::csv {

namespace {

// pandas' STR_NA_VALUES (pandas/_libs/parsers.pyx), the empty field among them.
constexpr std::string_view kPandasNa[] = {"",     "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN",
                                          "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL",
                                          "NaN",  "None",   "n/a",   "nan",  "null"};

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// The slow path of the number parsers: blanks around, a '+' in front.
std::string_view number_text(std::string_view s) {
  s = trimmed(s);
  if (s.size() > 1 && s[0] == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
  return s;
}

bool int_of(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

bool float_of(std::string_view s, double& out) {
  if (s.empty()) return false;
  const auto [end, ec] = fast_float::from_chars(s.data(), s.data() + s.size(), out);
  // Out of range still gives ±inf or 0 in `out`, as pandas reads "1e400".
  return (ec == std::errc{} || ec == std::errc::result_out_of_range) && end == s.data() + s.size();
}

unsigned digits(std::string_view s, std::size_t at, std::size_t n, bool& ok) {
  unsigned v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') {
      ok = false;
      return 0;
    }
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return v;
}

bool leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

NaTokens::NaTokens(const dataframe::CsvOptions& options) {
  auto add = [&](std::string_view t) {
    if (t.empty()) {
      empty_is_na_ = true;
      return;
    }
    for (const std::string& have : tokens_) {
      if (have == t) return;
    }
    tokens_.emplace_back(t);
    first_bytes_[static_cast<unsigned char>(t[0])] = true;
    if (t.size() < 64) lengths_ |= std::uint64_t{1} << t.size();
    else has_long_ = true;
    // "nan" and "NaN" parse too, but as NaN, which the float path looks up
    // anyway: counting them would look up every number of every file.
    double value = 0;
    if (parse_float64(t, value) && !std::isnan(value)) has_numeric_ = true;
  };
  if (options.keep_default_na) {
    for (std::string_view t : kPandasNa) add(t);
  }
  for (const std::string& t : options.na_values) add(t);
}

bool parse_int64_general(std::string_view field, std::int64_t& out) {
  return int_of(field, out) || int_of(number_text(field), out);
}

bool parse_float64_general(std::string_view field, double& out) {
  return float_of(field, out) || float_of(number_text(field), out);
}

bool parse_bool(std::string_view field, bool& out) {
  const std::string_view s = trimmed(field);
  if (s == "True" || s == "true" || s == "TRUE") {
    out = true;
    return true;
  }
  if (s == "False" || s == "false" || s == "FALSE") {
    out = false;
    return true;
  }
  return false;
}

bool parse_timestamp(std::string_view field, std::int64_t& ns) {
  const std::string_view s = trimmed(field);
  bool ok = s.size() >= 10 && s[4] == '-' && s[7] == '-';
  const unsigned year = digits(s, 0, 4, ok), month = digits(s, 5, 2, ok), day = digits(s, 8, 2, ok);
  if (!ok || month < 1 || month > 12 || day < 1) return false;
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (day > kDays[month - 1] + (month == 2 && leap(year) ? 1u : 0u)) return false;
  std::int64_t seconds = calendar::days_from_civil(year, month, day) * 86400, fraction = 0;
  std::size_t at = 10;
  if (at < s.size() && (s[at] == ' ' || s[at] == 'T')) {
    const unsigned hour = digits(s, at + 1, 2, ok);
    const bool colon = at + 3 < s.size() && s[at + 3] == ':';
    const unsigned minute = digits(s, at + 4, 2, ok);
    if (!ok || !colon || hour > 23 || minute > 59) return false;
    seconds += hour * 3600 + minute * 60;
    at += 6;
    if (at < s.size() && s[at] == ':') {
      const unsigned second = digits(s, at + 1, 2, ok);
      if (!ok || second > 59) return false;
      seconds += second;
      at += 3;
      if (at < s.size() && s[at] == '.') {
        std::int64_t scale = 100000000;
        std::size_t n = 0;
        for (++at; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at, ++n) {
          if (n < 9) fraction += (s[at] - '0') * scale;
          scale /= 10;
        }
        if (n == 0) return false;
      }
    }
  }
  if (at < s.size() && s[at] == 'Z') ++at;
  if (at != s.size()) return false;
  ns = seconds * 1000000000 + fraction;
  return true;
}

}  // namespace tessera::csv
