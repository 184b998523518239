// Profile (include/tessera/diagnostics.hpp): starts the task records
// (task_log.hpp) and a resource sampler, and at the first write gathers
// every rank's records to rank 0 with Runtime::gather (point to point).
#include <tessera/diagnostics.hpp>
#include <tessera/error.hpp>
#include <tessera/graph.hpp>
#include <tessera/log.hpp>
#include <tessera/runtime.hpp>
#include <tessera/transport.hpp>

#include "diagnostics/profile_data.hpp"
#include "diagnostics/task_log.hpp"
#include "memory/budget.hpp"
#include "schedule/progress.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <sys/resource.h>

namespace tessera {
namespace diagnostics {
namespace {

std::atomic<bool> a_profile_exists{false};

std::int64_t system_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

std::int64_t cpu_time_ns() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto ns = [](const timeval& t) { return std::int64_t{t.tv_sec} * 1'000'000'000 + std::int64_t{t.tv_usec} * 1000; };
  return ns(usage.ru_utime) + ns(usage.ru_stime);
}

std::string command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::replace(all.begin(), all.end(), '\0', ' ');
  while (!all.empty() && all.back() == ' ') all.pop_back();
  if (auto slash = all.find_last_of('/', all.find(' ')); slash != std::string::npos) all.erase(0, slash + 1);
  return all.empty() ? "tessera" : all;
}

std::string utc_iso(std::int64_t system_ns) {
  const std::time_t seconds = static_cast<std::time_t>(system_ns / 1'000'000'000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

std::int64_t ProfileData::duration() const {
  std::int64_t end = 0;
  for (const auto& r : ranks) {
    end = std::max(end, r.end);
    for (const auto& t : r.tasks) end = std::max(end, t.end);
  }
  return end;
}

namespace {

// One list of a RankProfile's fields for both directions, so that the
// encoder and the decoder cannot disagree: `io(field)` puts or gets it, and
// `io.each(vector, fn)` its length and then each item.
struct Put {
  ByteWriter& out;
  template <class T>
  void operator()(const T& value) { out.put(value); }
  template <class T, class Fn>
  void each(std::vector<T>& items, Fn&& fn) {
    out.put(static_cast<std::uint64_t>(items.size()));
    for (auto& item : items) fn(item);
  }
};

struct Get {
  ByteReader& in;
  template <class T>
  void operator()(T& value) { in.get(value); }
  template <class T, class Fn>
  void each(std::vector<T>& items, Fn&& fn) {
    items.resize(static_cast<std::size_t>(in.get<std::uint64_t>()));
    for (auto& item : items) fn(item);
  }
};

template <class Io>
void fields(Io& io, RankProfile& r) {
  io(r.rank);
  io(r.threads);
  io(r.host);
  io(r.memory_limit);
  io(r.spill_dir);
  io(r.end);
  io.each(r.thread_rows, [&](ThreadRow& t) {
    io(t.id);
    io(t.scheduler);
  });
  io.each(r.tasks, [&](TaskRow& t) {
    io(t.thread);
    io(t.key);
    io(t.prefix);
    io(t.start);
    io(t.end);
    io(t.output_bytes);
    io(t.fetched_bytes);
    io(t.fetched_from);
    io(t.spill_written);
    io(t.spill_read);
    io(t.spill_ns);
    io(t.error);
  });
  io.each(r.transfers, [&](TransferRow& t) {
    io(t.thread);
    io(t.key);
    io(t.from);
    io(t.to);
    io(t.bytes);
    io(t.start);
    io(t.end);
    io(t.outgoing);
  });
  io.each(r.samples, [&](SampleRow& s) {
    io(s.time);
    io(s.rss);
    io(s.cpu_percent);
    io(s.memory);
    io(s.spilled);
  });
  io.each(r.runs, [&](RunRow& run) {
    io(run.start);
    io(run.end);
    io.each(run.tasks_by_prefix, [&](std::pair<std::string, std::uint64_t>& named) {
      io(named.first);
      io(named.second);
    });
  });
}

}  // namespace

std::string encode_rank(const RankProfile& r) {
  std::vector<std::byte> bytes;
  ByteWriter out(bytes);
  Put put{out};
  fields(put, const_cast<RankProfile&>(r));  // Put only reads
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

RankProfile decode_rank(const std::string& text, std::int64_t origin) {
  ByteReader in(std::span<const std::byte>(reinterpret_cast<const std::byte*>(text.data()), text.size()));
  Get get{in};
  RankProfile r;
  fields(get, r);
  // Times arrive on the system clock; the trace counts from rank 0's start.
  r.end -= origin;
  for (auto& t : r.tasks) {
    t.start -= origin;
    t.end -= origin;
  }
  for (auto& t : r.transfers) {
    t.start -= origin;
    t.end -= origin;
  }
  for (auto& sample : r.samples) sample.time -= origin;
  for (auto& run : r.runs) {
    run.start -= origin;
    run.end -= origin;
  }
  return r;
}

}  // namespace diagnostics

// ---- the resource sampler -------------------------------------------------------------------

struct Profile::Sampler {
  std::mutex mutex;
  std::condition_variable wake;
  bool stop = false;
  std::vector<diagnostics::SampleRow> samples;  // times on the steady clock
  std::thread thread;

  explicit Sampler(double interval) {
    const auto period = std::chrono::nanoseconds(static_cast<std::int64_t>(interval * 1e9));
    thread = std::thread([this, period] {
      auto& budget = memory::Budget::instance();
      std::int64_t last_wall = memory::steady_ns(), last_cpu = diagnostics::cpu_time_ns();
      std::unique_lock lock(mutex);
      for (;;) {
        const std::int64_t wall = memory::steady_ns(), cpu = diagnostics::cpu_time_ns();
        const double percent = wall > last_wall ? 100.0 * double(cpu - last_cpu) / double(wall - last_wall) : 0.0;
        samples.push_back({wall, diagnostics::resident_bytes(), percent, budget.tracked(), budget.spilled_now()});
        last_wall = wall;
        last_cpu = cpu;
        if (wake.wait_for(lock, period, [this] { return stop; })) return;
      }
    });
  }
  ~Sampler() { finish(); }
  void finish() {
    {
      std::lock_guard lock(mutex);
      stop = true;
    }
    wake.notify_all();
    if (thread.joinable()) thread.join();
  }
};

// ---- Profile ----------------------------------------------------------------------------------

Profile::Profile(ProfileOptions options) : options_(std::move(options)) {
  if (diagnostics::a_profile_exists.exchange(true)) {
    throw_error(ErrorKind::input, "a Profile is already recording in this process",
                "finish with the first one (let it go out of scope) before making another");
  }
  if (options_.title.empty()) options_.title = diagnostics::command_line();
  diagnostics::start_recording();
  const auto reading = diagnostics::TickScale::read();
  start_ticks_ = reading.ticks;
  start_steady_ns_ = reading.steady;
  start_system_ns_ = diagnostics::system_now_ns();
  if (options_.sample_interval > 0) sampler_ = std::make_unique<Sampler>(options_.sample_interval);
}

Profile::~Profile() {
  stop();
  diagnostics::a_profile_exists.store(false);
}

void Profile::stop() {
  if (stopped_) return;
  stopped_ = true;
  diagnostics::stop_recording();
  if (sampler_) sampler_->finish();
}

const diagnostics::ProfileData& Profile::gathered() {
  using namespace diagnostics;
  if (gathered_) return *data_;
  stop();
  const auto* runtime = Runtime::current();
  const std::int64_t to_system = start_system_ns_ - start_steady_ns_;  // steady -> system clock
  const TickScale to_steady({start_ticks_, start_steady_ns_}, TickScale::read());
  auto at = [&](Ticks t) { return to_steady(t) + to_system; };
  RankProfile mine;
  mine.rank = runtime ? runtime->rank() : 0;
  mine.threads = runtime ? runtime->threads() : 0;
  mine.host = runtime ? runtime->host() : std::string();
  auto& budget = memory::Budget::instance();
  mine.memory_limit = budget.limit();
  mine.spill_dir = budget.spill().base();
  mine.end = memory::steady_ns() + to_system;
  std::map<std::string, std::string> prefixes;  // key name -> prefix, computed once per name
  auto prefix_of = [&](KeyName key_name) -> const std::string& {
    auto name = key_name.str();
    auto it = prefixes.find(std::string(name));
    if (it == prefixes.end()) it = prefixes.emplace(std::string(name), schedule::key_prefix(name)).first;
    return it->second;
  };
  for_each_log([&](const ThreadLog& log) {
    if (log.tasks.size() == 0 && log.transfers.size() == 0) return;
    mine.thread_rows.push_back({log.id, log.scheduler.load(std::memory_order_relaxed)});
    std::vector<const TaskExtra*> extras;  // in task order
    log.extras.for_each([&](const TaskExtra& e) { extras.push_back(&e); });
    std::size_t position = 0, next_extra = 0;
    log.tasks.for_each([&](const TaskRecord& t) {
      const TaskExtra* extra = nullptr;
      if (next_extra < extras.size() && extras[next_extra]->task == position) extra = extras[next_extra++];
      ++position;
      TaskRow row;
      row.thread = log.id;
      row.key = t.key(extra).str();
      row.prefix = prefix_of(t.name);
      row.start = at(t.start);
      row.end = at(t.end);
      row.output_bytes = t.output_bytes;
      if (extra) {
        row.fetched_bytes = extra->fetched_bytes;
        row.fetched_from = extra->fetched_from;
        row.spill_written = extra->spill_written;
        row.spill_read = extra->spill_read;
        row.spill_ns = extra->spill_ns;
        row.error = extra->error;
      }
      mine.tasks.push_back(std::move(row));
    });
    log.transfers.for_each([&](const TransferRecord& t) {
      mine.transfers.push_back(
          {log.id, t.key.str(), t.from, t.to, t.bytes, at(t.start), at(t.end), t.outgoing});
    });
  });
  if (mine.thread_rows.empty()) mine.thread_rows.push_back({this_thread_log().id, false});  // a rank with nothing to show still shows
  if (sampler_) {
    for (auto s : sampler_->samples) {
      s.time += to_system;
      mine.samples.push_back(s);
    }
  }
  for (const auto& run : runs()) {
    RunRow row{at(run.start), at(run.end), {}};
    std::map<std::string, std::uint64_t> by_prefix;
    for (const auto& [id, named] : run.tasks_by_name) by_prefix[prefix_of(named.first)] += named.second;
    row.tasks_by_prefix.assign(by_prefix.begin(), by_prefix.end());
    mine.runs.push_back(std::move(row));
  }

  const std::string bytes = encode_rank(mine);
  std::vector<std::string> all = runtime ? runtime->gather(bytes, 0) : std::vector<std::string>{bytes};
  std::int64_t origin = start_system_ns_;
  if (runtime && runtime->size() > 1) origin = std::stoll(runtime->broadcast(std::to_string(start_system_ns_), 0));
  gathered_ = true;
  if (!all.empty()) {
    data_ = std::make_unique<ProfileData>();
    data_->title = options_.title;
    data_->started_utc = utc_iso(origin);
    data_->sample_interval = options_.sample_interval;
    for (const auto& rank_bytes : all) data_->ranks.push_back(decode_rank(rank_bytes, origin));
  }
  return data_ ? *data_ : *(data_ = std::make_unique<ProfileData>());
}

namespace {

void write_file(const std::string& path, const std::string& text, const char* what) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) {
    throw_error(ErrorKind::input, std::string("cannot write the ").append(what).append(" to ").append(path),
                "check that its directory exists and is writable");
  }
}

bool is_root() { return !Runtime::current() || Runtime::current()->rank() == 0; }

}  // namespace

void Profile::write_trace(const std::string& path) {
  const auto& data = gathered();
  if (!is_root()) return;
  write_file(path, diagnostics::chrome_trace(data), "trace");
  log(LogLevel::info, "wrote the trace to " + path);
}

void Profile::write_report(const std::string& path) {
  const auto& data = gathered();
  if (!is_root()) return;
  write_file(path, diagnostics::html_report(data), "report");
  log(LogLevel::info, "wrote the report to " + path);
}

void Profile::visualize(const Graph& graph, const std::string& path) {
  const auto& data = gathered();
  if (!is_root()) return;
  Graph::RunFacts facts;
  for (const auto& r : data.ranks) {
    for (const auto& t : r.tasks) {
      facts.rank[t.key] = r.rank;
      facts.bytes[t.key] = t.output_bytes;
    }
  }
  graph.visualize(path, 2000, &facts);
}

std::size_t Profile::tasks_recorded() const {
  std::size_t n = 0;
  if (data_) {
    for (const auto& r : data_->ranks) n += r.tasks.size();
  }
  return n;
}

std::size_t Profile::transfers_recorded() const {
  std::size_t n = 0;
  if (data_) {
    for (const auto& r : data_->ranks) {
      for (const auto& t : r.transfers) n += t.outgoing ? 0 : 1;
    }
  }
  return n;
}

}  // namespace tessera
