// Levelled logging (include/tessera/log.hpp). In the lowest layer, so that
// every layer can log; the rank comes from graph::process_rank(), which the
// Runtime sets.
#include <tessera/error.hpp>
#include <tessera/log.hpp>

#include "config/setting_sources.hpp"
#include "graph/task_error.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace tessera {
namespace {

const auto process_start = std::chrono::steady_clock::now();
constexpr std::uint8_t unset = 0xff;
std::atomic<std::uint8_t> level_now{unset};

LogLevel from_environment() {
  const char* text = std::getenv("TESSERA_LOG_LEVEL");
  config::note_source("log_level", text && *text ? "TESSERA_LOG_LEVEL" : "default");
  if (!text || !*text) return LogLevel::warn;
  try {
    return parse_log_level(text);
  } catch (const Error& e) {  // say so once, and stay at the default
    std::fprintf(stderr, "tessera: %s\n", e.what());
    return LogLevel::warn;
  }
}

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::error: return "error";
    case LogLevel::warn: return "warning";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
  }
  return "?";
}

}  // namespace

LogLevel parse_log_level(std::string_view text) {
  if (text == "error") return LogLevel::error;
  if (text == "warn" || text == "warning") return LogLevel::warn;
  if (text == "info") return LogLevel::info;
  if (text == "debug") return LogLevel::debug;
  throw_error(ErrorKind::input, std::string("log level '").append(text).append("' is not a log level"),
              "use error, warn, info or debug");
}

void set_log_level(LogLevel level) {
  level_now.store(static_cast<std::uint8_t>(level), std::memory_order_relaxed);
  config::note_source("log_level", "set_log_level()");
}

LogLevel log_level() {
  std::uint8_t level = level_now.load(std::memory_order_relaxed);
  if (level == unset) {
    level = static_cast<std::uint8_t>(from_environment());
    std::uint8_t expected = unset;
    level_now.compare_exchange_strong(expected, level, std::memory_order_relaxed);
    level = level_now.load(std::memory_order_relaxed);
  }
  return static_cast<LogLevel>(level);
}

void log(LogLevel level, std::string_view message) {
  if (!log_enabled(level)) return;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - process_start).count();
  char head[96];
  const int n = std::snprintf(head, sizeof head, "tessera [rank %d +%.3fs] %s: ", graph::process_rank(), seconds,
                              level_name(level));
  std::string line(head, n > 0 ? static_cast<std::size_t>(n) : 0);
  line.append(message);
  if (line.empty() || line.back() != '\n') line.push_back('\n');
  for (std::size_t at = 0; at < line.size();) {  // one write, unless the pipe takes less
    const ssize_t wrote = ::write(STDERR_FILENO, line.data() + at, line.size() - at);
    if (wrote <= 0) break;
    at += static_cast<std::size_t>(wrote);
  }
}

}  // namespace tessera
