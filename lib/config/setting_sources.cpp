#include "config/setting_sources.hpp"

#include <cstdlib>
#include <map>
#include <mutex>

namespace tessera::config {
namespace {

struct Sources {
  std::mutex mutex;
  std::map<std::string, std::string, std::less<>> by_setting;
};

Sources& sources() {
  static Sources* s = new Sources;  // never destroyed: noted from anywhere, at any time
  return *s;
}

}  // namespace

void note_source(std::string_view setting, std::string source) {
  auto& s = sources();
  std::lock_guard lock(s.mutex);
  s.by_setting[std::string(setting)] = std::move(source);
}

std::string source_of(std::string_view setting, std::string_view otherwise) {
  auto& s = sources();
  std::lock_guard lock(s.mutex);
  auto it = s.by_setting.find(setting);
  return it == s.by_setting.end() ? std::string(otherwise) : it->second;
}

unsigned long long slurm_number(const char* name) {
  const char* text = std::getenv(name);
  if (!text || !*text) return 0;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(text, &end, 10);
  return *end == '\0' ? n : 0;  // Slurm writes plain numbers; anything else is not ours to guess at
}

}  // namespace tessera::config
