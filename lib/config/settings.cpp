// effective_settings() (include/tessera/settings.hpp): the values from the
// layers that hold them, the sources from config/setting_sources.hpp.
#include <tessera/checkpoint.hpp>
#include <tessera/compute.hpp>
#include <tessera/log.hpp>
#include <tessera/memory.hpp>
#include <tessera/progress.hpp>
#include <tessera/runtime.hpp>
#include <tessera/settings.hpp>
#include <tessera/size.hpp>

#include "config/setting_sources.hpp"
#include "memory/budget.hpp"

#include <cstdio>

namespace tessera {

void note_setting_source(const std::string& name, const std::string& source) { config::note_source(name, source); }

std::vector<Setting> effective_settings() {
  const auto* runtime = Runtime::current();
  const MemoryStatus memory = memory_status();
  std::vector<Setting> out;
  auto add = [&out](const char* name, std::string value, std::string_view otherwise) {
    out.push_back({name, std::move(value), config::source_of(name, otherwise)});
  };
  add("threads", std::to_string(runtime ? runtime->threads() : default_thread_count()),
      "default: TESSERA_THREADS, else the cores available");
  add("memory_limit", format_size(memory.limit), "default");
  char fraction[32];
  std::snprintf(fraction, sizeof fraction, "%.2f (spill above %s)",
                memory.limit ? static_cast<double>(memory.target) / static_cast<double>(memory.limit) : 0.0,
                format_size(memory.target).c_str());
  add("memory_target", fraction, std::getenv("TESSERA_MEMORY_TARGET") ? "TESSERA_MEMORY_TARGET" : "default");
  add("spill_dir", memory::Budget::instance().spill().base(), "default");
  const ProgressMode progress = default_progress();
  add("progress", progress == ProgressMode::off ? "off" : progress == ProgressMode::always ? "always" : "auto",
      "default");
  const char* levels[] = {"error", "warn", "info", "debug"};
  add("log_level", levels[static_cast<int>(log_level())], "default");
  const std::string checkpoints = default_checkpoint_dir();
  add("checkpoint_dir", checkpoints.empty() ? "none" : checkpoints, "default");
  return out;
}

}  // namespace tessera
