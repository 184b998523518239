#include "schedule/progress.hpp"

#include <tessera/size.hpp>

#include "config/setting_sources.hpp"
#include "memory/budget.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unistd.h>

namespace tessera {
namespace {

ProgressMode mode_from_environment() {
  const char* text = std::getenv("TESSERA_PROGRESS");
  config::note_source("progress", text && *text ? "TESSERA_PROGRESS" : "default");
  if (!text || !*text) return ProgressMode::automatic;
  const std::string s(text);
  if (s == "0" || s == "off" || s == "no") return ProgressMode::off;
  if (s == "1" || s == "on" || s == "yes" || s == "always") return ProgressMode::always;
  return ProgressMode::automatic;
}

std::atomic<ProgressMode>& default_mode() {
  static std::atomic<ProgressMode> mode{mode_from_environment()};
  return mode;
}

}  // namespace

void set_default_progress(ProgressMode mode) {
  default_mode().store(mode);
  config::note_source("progress", "set_default_progress()");
}
ProgressMode default_progress() { return default_mode().load(); }

namespace schedule {
namespace {

using Clock = std::chrono::steady_clock;

bool hashlike(std::string_view part) {
  if (part.empty()) return false;
  const bool digits = std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
  const bool hex = std::all_of(part.begin(), part.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
  return digits || (hex && part.size() >= 6);
}

std::string rate_text(double per_second) {
  char text[32];
  if (per_second >= 1e6) {
    std::snprintf(text, sizeof text, "%.1fM", per_second / 1e6);
  } else if (per_second >= 1e3) {
    std::snprintf(text, sizeof text, "%.1fk", per_second / 1e3);
  } else {
    std::snprintf(text, sizeof text, "%.1f", per_second);
  }
  return text;
}

double interval_seconds() {
  if (const char* text = std::getenv("TESSERA_PROGRESS_INTERVAL"); text && *text) {
    const double s = std::strtod(text, nullptr);
    if (s > 0) return s;
  }
  return 10.0;
}

// One thread draws the one run on display.
class Display {
 public:
  static Display& instance() {
    static Display* display = new Display();  // its thread may outlive statics: never destroyed
    return *display;
  }

  bool begin(const Graph& graph, const ProgressSource& source, bool in_place) {
    std::lock_guard lock(mutex_);
    if (graph_) return false;  // another run is on display (a futures batch beside a compute)
    graph_ = &graph;
    source_ = &source;
    in_place_ = in_place;
    drawn_ = false;
    interval_ = interval_seconds();
    start_ = Clock::now();
    next_line_ = start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval_));
    prefix_of_.clear();
    prefixes_.clear();
    if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
    wake_.notify_one();
    return true;
  }

  void end() {
    std::lock_guard lock(mutex_);
    if (drawn_) draw(/*last=*/true);
    graph_ = nullptr;
    source_ = nullptr;
    wake_.notify_one();
  }

 private:
  Display() = default;

  void loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (!graph_) {
        wake_.wait(lock, [this] { return graph_ != nullptr; });
        continue;
      }
      const double tick = std::min(interval_, in_place_ ? 0.2 : 0.1);
      wake_.wait_for(lock, std::chrono::duration<double>(tick));  // lets end() in
      if (!graph_) continue;
      const auto now = Clock::now();
      if (in_place_) {
        if (std::chrono::duration<double>(now - start_).count() >= std::min(0.5, interval_)) draw(false);
      } else if (now >= next_line_) {
        draw(false);
        next_line_ = now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval_));
      }
    }
  }

  // With mutex_ held.
  void draw(bool last) {
    const Graph& graph = *graph_;
    if (prefix_of_.empty()) {  // once per run, here rather than on the run's threads
      std::unordered_map<std::uint32_t, std::uint32_t> by_name;
      std::unordered_map<std::string, std::uint32_t> by_prefix;
      prefix_of_.assign(graph.size(), UINT32_MAX);
      for (NodeId id = 0; id < graph.size(); ++id) {
        const auto& node = graph.node(id);
        if (node.is_data()) continue;
        auto [it, added] = by_name.try_emplace(node.key.name().id(), 0);
        if (added) {
          auto [p, new_prefix] = by_prefix.try_emplace(key_prefix(node.key.name().str()),
                                                       static_cast<std::uint32_t>(prefixes_.size()));
          if (new_prefix) prefixes_.push_back({p->first, 0, 0});
          it->second = p->second;
        }
        prefix_of_[id] = it->second;
        ++prefixes_[it->second].total;
      }
    }
    std::size_t total = 0;
    for (auto& p : prefixes_) {
      p.done = 0;
      total += p.total;
    }
    for (NodeId id = 0; id < graph.size(); ++id) {
      if (prefix_of_[id] != UINT32_MAX && source_->task_done(id)) ++prefixes_[prefix_of_[id]].done;
    }
    std::size_t done = 0;
    for (const auto& p : prefixes_) done += p.done;
    const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    const int percent = total ? static_cast<int>(100 * done / total) : 100;

    std::string line;
    char text[160];
    if (in_place_) {
      const int bars = total ? static_cast<int>(20 * done / total) : 20;
      line = "\r\033[K[" + std::string(bars, '#') + std::string(20 - bars, ' ') + "] ";
    } else {
      line = "tessera: progress ";
    }
    std::snprintf(text, sizeof text, "%d%% %zu/%zu tasks | %.1f s | %s tasks/s", percent, done, total, seconds,
                  rate_text(seconds > 0 ? static_cast<double>(done) / seconds : 0).c_str());
    line += text;
    // The prefixes with most tasks, in the order they first appear in the graph.
    std::vector<const Prefix*> shown;
    for (const auto& p : prefixes_) shown.push_back(&p);
    std::stable_sort(shown.begin(), shown.end(), [](const Prefix* a, const Prefix* b) { return a->total > b->total; });
    if (shown.size() > 4) shown.resize(4);
    line += " |";
    for (std::size_t i = 0; i < shown.size(); ++i) {
      std::snprintf(text, sizeof text, "%s %s %zu/%zu", i ? "," : "", shown[i]->name.c_str(), shown[i]->done,
                    shown[i]->total);
      line += text;
    }
    if (prefixes_.size() > shown.size()) line += ", ...";
    line += " |";
    auto memory = source_->rank_memory();
    if (memory.empty()) {
      const auto status = memory::Budget::instance().status();
      memory.push_back({status.tracked_bytes, status.spilled_bytes});
    }
    const std::size_t listed = memory.size() <= 8 ? memory.size() : 0;
    for (std::size_t r = 0; r < listed; ++r) {
      line += (r ? ", rank " : " rank ") + std::to_string(r) + " " + format_size(memory[r].tracked);
      if (memory[r].spilled) line += " (" + format_size(memory[r].spilled) + " spilled)";
    }
    if (!listed) {  // many ranks: the fullest one and the total spilled
      std::size_t fullest = 0;
      std::uint64_t spilled = 0;
      for (std::size_t r = 0; r < memory.size(); ++r) {
        if (memory[r].tracked > memory[fullest].tracked) fullest = r;
        spilled += memory[r].spilled;
      }
      line += " most on rank " + std::to_string(fullest) + " " + format_size(memory[fullest].tracked) + ", " +
              format_size(spilled) + " spilled in all";
    }
    if (!in_place_ || last) line += "\n";
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    drawn_ = true;
  }

  struct Prefix {
    std::string name;
    std::size_t total = 0, done = 0;
  };

  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
  double interval_ = 10;
  const Graph* graph_ = nullptr;
  const ProgressSource* source_ = nullptr;
  bool in_place_ = false, drawn_ = false;
  Clock::time_point start_, next_line_;
  std::vector<std::uint32_t> prefix_of_;
  std::vector<Prefix> prefixes_;
};

}  // namespace

std::string key_prefix(std::string_view name) {
  std::string_view rest = name;
  while (true) {
    const auto dash = rest.rfind('-');
    if (dash == std::string_view::npos || dash == 0 || !hashlike(rest.substr(dash + 1))) break;
    rest = rest.substr(0, dash);
  }
  return std::string(rest);
}

ProgressDisplay::ProgressDisplay(const Graph& graph, const ProgressSource& source, std::optional<ProgressMode> mode,
                                 int rank) {
  const ProgressMode m = mode.value_or(default_progress());
  if (m == ProgressMode::off || rank != 0) return;
  const bool in_place = m == ProgressMode::always || ::isatty(STDERR_FILENO);
  shown_ = Display::instance().begin(graph, source, in_place);
}

ProgressDisplay::~ProgressDisplay() {
  if (shown_) Display::instance().end();
}

}  // namespace schedule
}  // namespace tessera
