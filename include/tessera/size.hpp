#pragma once
/// Byte sizes as people write them, for options like --bytes and --memory-limit.
///
///     tessera::parse_size("512MiB");   // 536870912
///     tessera::parse_size("4GB");      // 4000000000
///     tessera::parse_size("1.5 KiB");  // 1536
///     tessera::format_size(3 << 20);   // "3.0 MiB"
#include <cstdint>
#include <string>
#include <string_view>

namespace tessera {

/// A number with an optional unit: B, KiB, MiB, GiB, TiB (powers of 1024) or
/// KB, MB, GB, TB (powers of 1000); without a unit (or with B) a whole number
/// of bytes. InputError naming the text otherwise.
std::uint64_t parse_size(std::string_view text);

/// The size in the largest binary unit that keeps it at or above 1, one decimal.
std::string format_size(std::uint64_t bytes);

}  // namespace tessera
