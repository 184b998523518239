#pragma once
// Calendar dates of timestamps (int64 ns since 1970-01-01, UTC), for
// parsing, printing, writing CSV and the .dt() accessor: Howard Hinnant's
// days_from_civil and its inverse.
#include <cstdint>
#include <string>

namespace tessera::calendar {

/// The civil date `days` days after 1970-01-01 (negative before it).
inline void civil_from_days(std::int64_t days, std::int64_t& y, unsigned& m, unsigned& d) {
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
}

/// Days from 1970-01-01 to a proleptic Gregorian date.
inline std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// Whole days since the epoch and the nanoseconds into that day.
inline void split_day(std::int64_t ns, std::int64_t& days, std::int64_t& rest) {
  constexpr std::int64_t per_day = 86400LL * 1000000000LL;
  days = ns / per_day;
  rest = ns % per_day;
  if (rest < 0) rest += per_day, --days;
}

/// "YYYY-MM-DD" (date_only), else "YYYY-MM-DD HH:MM:SS" with a fraction of
/// the fewest digit groups that hold it (".500", ".000250", ".000000001"),
/// as pandas writes and prints them (table.cpp).
std::string format_timestamp(std::int64_t ns, bool date_only = false);

}  // namespace tessera::calendar
