#include "memory/budget.hpp"

#include <tessera/error.hpp>
#include <tessera/log.hpp>
#include <tessera/size.hpp>

#include "config/setting_sources.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>

namespace tessera::memory {
namespace {

constexpr double default_target = 0.6;

double parse_fraction(std::string_view text, const char* what) {
  std::string s(text);
  char* end = nullptr;
  const double f = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !(f > 0) || f > 1) {
    throw_error(ErrorKind::input, std::string(what) + "=" + s + " is not a fraction",
                "give a number above 0 and at most 1, like 0.6");
  }
  return f;
}

const char* env(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : nullptr;
}

}  // namespace

std::uint64_t peak_rss() {
  // Linux only; the kernel's own high-water mark, which is what a batch system kills for.
  std::ifstream status("/proc/self/status");
  std::string field;
  while (status >> field) {
    if (field == "VmHWM:") {
      std::uint64_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

std::uint64_t node_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  std::uint64_t ram = pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page)
                                            : std::uint64_t{4} << 30;
  // Under Slurm (cgroups v2) a job may have less than the node.
  std::ifstream cgroup("/sys/fs/cgroup/memory.max");
  std::string text;
  if (cgroup >> text && text != "max") {
    const std::uint64_t cap = std::strtoull(text.c_str(), nullptr, 10);
    if (cap > 0 && cap < ram) ram = cap;
  }
  return ram;
}

Budget::Budget() {
  try {
    configure({});
  } catch (const Error& e) {  // a bad environment variable: say so, run with the defaults
    log(LogLevel::error, e.what());
    limit_ = node_memory();
    target_ = static_cast<std::uint64_t>(static_cast<double>(limit_) * default_target);
  }
}

Budget& Budget::instance() {
  // Never destroyed: runs may still be ending while statics go. The spill
  // directory goes at exit.
  static Budget* budget = [] {
    auto* b = new Budget();
    std::atexit([] { Budget::instance().spill().remove_all(); });
    return b;
  }();
  return *budget;
}

void Budget::set_placement(int ranks_on_node, int rank) {
  ranks_on_node_ = ranks_on_node > 0 ? ranks_on_node : 1;
  rank_ = rank;
  configure(options_);
}

void Budget::configure(const MemoryOptions& options) {
  options_ = options;
  std::uint64_t limit = options.limit;
  std::string source = "configure_memory()";
  if (limit == 0) {
    if (const char* text = env("TESSERA_MEMORY_LIMIT")) {
      try {
        limit = parse_memory_limit(text);
        source = "TESSERA_MEMORY_LIMIT";
      } catch (const Error& e) {
        throw_error(ErrorKind::input, std::string("TESSERA_MEMORY_LIMIT: ") + e.info().message, e.info().hint);
      }
    }
  }
  // Under Slurm, what the job asked for: --mem-per-cpu times the task's CPUs, or --mem shared by the node's ranks.
  if (limit == 0) {
    constexpr std::uint64_t mib = std::uint64_t{1} << 20;
    if (const auto per_cpu = config::slurm_number("SLURM_MEM_PER_CPU")) {
      const auto cpus = std::max<unsigned long long>(1, config::slurm_number("SLURM_CPUS_PER_TASK"));
      limit = per_cpu * cpus * mib;
      source = "SLURM_MEM_PER_CPU x SLURM_CPUS_PER_TASK";
    } else if (const auto per_node = config::slurm_number("SLURM_MEM_PER_NODE")) {
      limit = per_node * mib / static_cast<std::uint64_t>(ranks_on_node_.load());
      source = "SLURM_MEM_PER_NODE / ranks on the node";
    }
  }
  if (limit == 0) {
    limit = node_memory() / static_cast<std::uint64_t>(ranks_on_node_.load());
    source = "default: the node's memory / ranks on the node";
  }
  config::note_source("memory_limit", source);
  double target = options.target;
  if (target == 0) {
    target = default_target;
    if (const char* text = env("TESSERA_MEMORY_TARGET")) target = parse_fraction(text, "TESSERA_MEMORY_TARGET");
  } else if (!(target > 0) || target > 1) {
    throw_error(ErrorKind::input, "the memory target " + std::to_string(target) + " is not a fraction",
                "give a number above 0 and at most 1, like 0.6");
  }
  bool force = options.force_spill;
  if (const char* text = env("TESSERA_FORCE_SPILL")) force = force || std::string(text) != "0";
  std::string dir = options.spill_dir;
  config::note_source("spill_dir", "configure_memory()");
  if (dir.empty()) {
    const char* from = env("TESSERA_SPILL_DIR");
    config::note_source("spill_dir", from ? "TESSERA_SPILL_DIR" : env("TMPDIR") ? "TMPDIR" : "default");
    if (!from) from = env("TMPDIR");
    dir = from ? from : "/tmp";
  }
  limit_ = limit;
  target_ = static_cast<std::uint64_t>(static_cast<double>(limit) * target);
  force_spill_ = force;
  spill_.configure(dir, rank_.load());
}

MemoryStatus Budget::status() const {
  MemoryStatus s;
  s.limit = limit();
  s.target = target();
  s.tracked_bytes = tracked();
  s.peak_tracked_bytes = peak_.load(std::memory_order_relaxed);
  s.spilled_bytes = spilled_now_.load(std::memory_order_relaxed);
  s.spilled_total = spilled_total_.load(std::memory_order_relaxed);
  s.unspilled_total = unspilled_total_.load(std::memory_order_relaxed);
  s.spill_write_seconds = spill_.write_seconds();
  s.spill_read_seconds = spill_.read_seconds();
  s.force_spill = force_spill();
  s.spill_dir = const_cast<SpillDirectory&>(spill_).path();
  s.peak_rss_bytes = peak_rss();
  return s;
}

void Budget::add_spiller(Spiller* spiller) {
  std::lock_guard lock(spillers_mutex_);
  spillers_.push_back(spiller);
}

void Budget::remove_spiller(Spiller* spiller) {
  std::lock_guard lock(spillers_mutex_);
  spillers_.erase(std::find(spillers_.begin(), spillers_.end(), spiller));
}

void Budget::make_room() {
  std::lock_guard lock(spillers_mutex_);
  for (Spiller* spiller : spillers_) {
    if (excess() == 0) return;
    spiller->spill_until_under_target();
  }
}

void Budget::warn(const std::string& message) const { log(LogLevel::warn, message); }

}  // namespace tessera::memory

namespace tessera {

std::uint64_t parse_memory_limit(std::string_view text) {
  const std::string s(text);
  const char* forms = "write a size (512MiB, 4GB, or a whole number of bytes) or a percentage of the node's RAM (50%)";
  if (!s.empty() && s.back() == '%') {
    char* end = nullptr;
    const double percent = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() - 1 || !(percent > 0) || percent > 100) {
      throw_error(ErrorKind::input, "memory limit '" + s + "' is not a percentage of RAM above 0 and at most 100",
                  forms);
    }
    return static_cast<std::uint64_t>(static_cast<double>(memory::node_memory()) * percent / 100);
  }
  std::uint64_t bytes = 0;
  try {
    bytes = parse_size(text);
  } catch (const InputError&) {
    throw_error(ErrorKind::input, "memory limit '" + s + "' is neither a size nor a percentage", forms);
  }
  if (bytes == 0) throw_error(ErrorKind::input, "memory limit '" + s + "' is zero", forms);
  return bytes;
}

void configure_memory(const MemoryOptions& options) { memory::Budget::instance().configure(options); }
MemoryStatus memory_status() { return memory::Budget::instance().status(); }
void reset_peak_memory() { memory::Budget::instance().reset_peak(); }

TrackedAllocation::TrackedAllocation(std::size_t bytes) : bytes_(bytes) {
  auto& budget = memory::Budget::instance();
  budget.add(bytes);
  if (budget.excess() > 0) budget.make_room();
}
TrackedAllocation::~TrackedAllocation() { memory::Budget::instance().sub(bytes_); }
void TrackedAllocation::resize(std::size_t bytes) {
  auto& budget = memory::Budget::instance();
  budget.add(bytes);
  budget.sub(bytes_);
  bytes_ = bytes;
  if (budget.excess() > 0) budget.make_room();
}

}  // namespace tessera
