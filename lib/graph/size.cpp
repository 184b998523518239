#include <tessera/error.hpp>
#include <tessera/size.hpp>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace tessera {

std::uint64_t parse_size(std::string_view text) {
  auto fail = [&] {
    std::string message;
    message.append("'").append(text).append("' is not a size");
    throw_error(ErrorKind::input, std::move(message),
                "write a whole number of bytes, or a number with KiB, MiB, GiB, TiB, KB, MB, GB or TB");
  };
  std::size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  double number = 0;
  auto [stop, ec] = std::from_chars(text.data() + begin, text.data() + end, number);
  if (ec != std::errc() || !std::isfinite(number) || number < 0) fail();
  std::string_view unit(stop, static_cast<std::size_t>(text.data() + end - stop));
  while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.front()))) unit.remove_prefix(1);
  struct Unit {
    std::string_view name;
    double scale;
  };
  static constexpr Unit units[] = {{"", 1},        {"B", 1},       {"KiB", 0x1p10}, {"MiB", 0x1p20},
                                   {"GiB", 0x1p30}, {"TiB", 0x1p40}, {"KB", 1e3},     {"kB", 1e3},
                                   {"MB", 1e6},     {"GB", 1e9},     {"TB", 1e12}};
  for (const Unit& u : units) {
    if (unit == u.name) {
      // A bare "0.5" or "1.0" is almost always meant as something else (a
      // fraction of RAM): bytes are written as digits, fractions need a unit.
      const std::string_view digits(text.data() + begin, static_cast<std::size_t>(stop - (text.data() + begin)));
      if (u.scale == 1 && digits.find_first_not_of("0123456789") != std::string_view::npos) fail();
      const double bytes = number * u.scale;
      if (bytes >= 0x1p64) fail();
      return static_cast<std::uint64_t>(bytes);
    }
  }
  fail();
  return 0;
}

std::string format_size(std::uint64_t bytes) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  if (unit == 0) {
    std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
  }
  return text;
}

}  // namespace tessera
