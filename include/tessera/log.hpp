#pragma once
/// Log: levelled messages on stderr, each line naming the rank and the time
/// since the process started.
///
///     tessera::set_log_level(tessera::LogLevel::info);  // or --log-level info, or TESSERA_LOG_LEVEL=info
///     tessera::log(tessera::LogLevel::info, "read 1000 rows");
///     // tessera [rank 1 +2.314s] info: read 1000 rows
///
/// Quiet by default: errors and warnings only. `info` adds what each
/// compute() ran (tasks, ranks, seconds) and the runtime's settings; `debug`
/// adds spills, transfers held back for memory, and the like. A line is
/// written whole, with one system call, so the ranks' lines never interleave
/// within a line.
#include <cstdint>
#include <string_view>

namespace tessera {

enum class LogLevel : std::uint8_t { error, warn, info, debug };

/// Until set: TESSERA_LOG_LEVEL (error, warn, info, debug), else warn.
void set_log_level(LogLevel level);
LogLevel log_level();
inline bool log_enabled(LogLevel level) { return level <= log_level(); }
void log(LogLevel level, std::string_view message);
/// "error", "warn" (or "warning"), "info", "debug"; InputError otherwise.
LogLevel parse_log_level(std::string_view text);

}  // namespace tessera
