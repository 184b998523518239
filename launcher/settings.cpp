// The command's settings in one place (include/tessera/settings.hpp): flags
// first, then TESSERA_* variables (read by the library itself), then the
// config file, whose values stand in for flags nobody gave.
#include "commands.hpp"

#include <tessera/error.hpp>
#include <tessera/log.hpp>
#include <tessera/settings.hpp>

#include <cstdlib>
#include <fstream>
#include <map>

namespace tessera::launcher {
namespace {

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

bool env_set(const char* name) {
  const char* value = std::getenv(name);
  return value && *value;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> resolve_settings(GlobalOptions& global) {
  std::vector<std::pair<std::string, std::string>> sources;
  if (global.threads) sources.emplace_back("threads", "--threads");
  if (!global.memory_limit.empty()) sources.emplace_back("memory_limit", "--memory-limit");
  if (!global.spill_dir.empty()) sources.emplace_back("spill_dir", "--spill-dir");
  if (global.progress || global.no_progress) sources.emplace_back("progress", global.progress ? "--progress" : "--no-progress");
  if (!global.log_level.empty()) sources.emplace_back("log_level", "--log-level");
  if (!global.checkpoint_dir.empty()) sources.emplace_back("checkpoint_dir", "--checkpoint-dir");

  std::string path = global.config;
  if (path.empty() && env_set("TESSERA_CONFIG")) path = std::getenv("TESSERA_CONFIG");
  if (path.empty()) return sources;
  std::ifstream in(path);
  if (!in) throw_error(ErrorKind::input, "cannot read the config file " + path, "check the path given to --config or TESSERA_CONFIG");
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    line = trimmed(line);
    if (line.empty()) continue;
    const std::string where = path + ":" + std::to_string(number);
    const auto equals = line.find('=');
    if (equals == std::string::npos) {
      throw_error(ErrorKind::input, where + ": '" + line + "' is not a setting", "write name = value");
    }
    const std::string name = trimmed(line.substr(0, equals)), value = trimmed(line.substr(equals + 1));
    auto bad = [&](const std::string& why) {
      throw_error(ErrorKind::input, where + ": " + name + " = " + value + ": " + why);
    };
    const std::string source = "config " + where;
    // Each fills in only what neither a flag nor its TESSERA_* variable set.
    auto fill_in = [&](std::string& field, const char* variable) {
      if (!field.empty() || env_set(variable)) return;
      field = value;
      sources.emplace_back(name, source);
    };
    if (name == "threads") {
      char* end = nullptr;
      const long n = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || n < 1 || n > 4096) bad("not a thread count from 1 to 4096");
      if (global.threads == 0 && !env_set("TESSERA_THREADS")) {
        global.threads = static_cast<unsigned>(n);
        sources.emplace_back(name, source);
      }
    } else if (name == "memory_limit") {
      if (const std::string why = memory_limit_check(value); !why.empty()) bad(why);
      fill_in(global.memory_limit, "TESSERA_MEMORY_LIMIT");
    } else if (name == "spill_dir") {
      if (value.empty()) bad("no directory");
      fill_in(global.spill_dir, "TESSERA_SPILL_DIR");
    } else if (name == "progress") {
      const bool on = value == "on" || value == "always", off = value == "off";
      if (!on && !off && value != "auto") bad("not one of auto, on, off");
      if (!global.progress && !global.no_progress && !env_set("TESSERA_PROGRESS") && value != "auto") {
        (on ? global.progress : global.no_progress) = true;
        sources.emplace_back(name, source);
      }
    } else if (name == "log_level") {
      try {
        parse_log_level(value);
      } catch (const Error& e) {
        bad(e.info().message);
      }
      fill_in(global.log_level, "TESSERA_LOG_LEVEL");
    } else if (name == "checkpoint_dir") {
      if (value.empty()) bad("no directory");
      fill_in(global.checkpoint_dir, "TESSERA_CHECKPOINT_DIR");
    } else {
      throw_error(ErrorKind::input, where + ": unknown setting '" + name + "'",
                  "the settings are threads, memory_limit, spill_dir, progress, log_level and checkpoint_dir");
    }
  }
  return sources;
}

}  // namespace tessera::launcher
