// tessera bench transfer --bytes B: see run_transfer below.
// tessera bench tasks: the per-task overhead of building and running graphs
// of trivial tasks through Delayed, the shapes of Dask's W4 benchmark.
//   map:   n independent inc(i), all of them outputs
//   chain: inc(inc(...inc(0))), n deep
//   tree:  n/2 leaves inc(i) summed by a binary tree of add (n-1 tasks in all, ~n)
// The last line is machine-readable; the checksum is checked against its closed form.
#include "commands.hpp"

#include <tessera/buffer.hpp>
#include <tessera/delayed.hpp>
#include <tessera/diagnostics.hpp>
#include <tessera/futures.hpp>
#include <tessera/memory.hpp>
#include <tessera/runtime.hpp>
#include <tessera/size.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace tessera::launcher {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::int64_t inc(std::int64_t x) { return x + 1; }
std::int64_t add(std::int64_t a, std::int64_t b) { return a + b; }

struct Run {
  std::size_t tasks = 0;
  double build_seconds = 0, run_seconds = 0;
  std::int64_t result = 0, expected = 0;
};

Run run_shape(const std::string& shape, std::int64_t n, const ComputeOptions& options) {
  Run run;
  auto d_inc = delayed(inc, "inc");
  auto d_add = delayed(add, "add");
  auto start = Clock::now();
  if (shape == "map") {
    std::vector<Delayed<std::int64_t>> outs;
    outs.reserve(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) outs.push_back(d_inc(i));
    run.build_seconds = seconds_since(start);
    run.tasks = outs.size();
    start = Clock::now();
    auto values = compute(outs, options);
    run.run_seconds = seconds_since(start);
    for (auto v : values) run.result += v;
    run.expected = n * (n + 1) / 2;
  } else if (shape == "chain") {
    Delayed<std::int64_t> x = d_inc(std::int64_t{0});
    for (std::int64_t i = 1; i < n; ++i) x = d_inc(x);
    run.build_seconds = seconds_since(start);
    run.tasks = static_cast<std::size_t>(n);
    start = Clock::now();
    run.result = compute(x, options);
    run.run_seconds = seconds_since(start);
    run.expected = n;
  } else {
    const std::int64_t leaves = std::max<std::int64_t>(1, (n + 1) / 2);
    std::vector<Delayed<std::int64_t>> level;
    level.reserve(static_cast<std::size_t>(leaves));
    for (std::int64_t i = 0; i < leaves; ++i) level.push_back(d_inc(i));
    run.tasks = level.size();
    while (level.size() > 1) {
      std::vector<Delayed<std::int64_t>> next;
      next.reserve(level.size() / 2 + 1);
      for (std::size_t i = 0; i < level.size(); i += 2) {
        next.push_back(i + 1 < level.size() ? d_add(level[i], level[i + 1]) : level[i]);
      }
      run.tasks += level.size() / 2;
      level = std::move(next);
    }
    run.build_seconds = seconds_since(start);
    start = Clock::now();
    run.result = compute(level[0], options);
    run.run_seconds = seconds_since(start);
    run.expected = leaves * (leaves + 1) / 2;
  }
  return run;
}

// tessera bench transfer: a B-byte Buffer made on rank 0, read by a task
// restricted to rank 1, so that each compute moves it once through the
// runtime (fetch, raw-byte transfer into a new Buffer, release).
struct TransferRun {
  double best_seconds = 0;
};

TransferRun run_transfer(std::size_t bytes, int repeat, const Runtime& runtime, unsigned threads) {
  TransferRun out;
  const int target = runtime.size() > 1 ? 1 : 0;
  for (int r = 0; r < repeat + 1; ++r) {  // the first run warms the buffer cache and is not counted
    Graph g;
    Value chunk;
    if (runtime.rank() == 0) {
      Buffer b(bytes);
      std::memset(b.data(), r & 0xff, b.size());
      chunk = Value::of(std::move(b));
    }
    g.add_persisted(Key("chunk", {r}), chunk, 0, bytes);
    NodeId use = g.add_task(Key("read", {r}), [](const Buffer& b) {
      return static_cast<std::int64_t>(b.size()) + static_cast<std::int64_t>(b.data()[b.size() / 2]);
    }, ref<Buffer>(Key("chunk", {r})));
    g.restrict_to_rank(use, target);
    ComputeOptions options;
    options.threads = threads;
    runtime.barrier();
    auto start = Clock::now();
    auto result = compute(g, {Key("read", {r})}, options);
    const double seconds = seconds_since(start);
    if (result[0].get<std::int64_t>() != static_cast<std::int64_t>(bytes) + (bytes ? (r & 0xff) : 0)) {
      throw_error(ErrorKind::generic, "bench transfer: the chunk arrived damaged");
    }
    if (r > 0 && (r == 1 || seconds < out.best_seconds)) out.best_seconds = seconds;
  }
  return out;
}

}  // namespace

namespace {
// A CLI11 check: empty when `parse` takes the text, else why it does not.
template <class Parse>
std::string parse_check(const std::string& text, Parse parse) {
  try {
    parse(text);
    return {};
  } catch (const Error& e) {
    return e.what();
  }
}
}  // namespace

std::string size_check(const std::string& text) {
  return parse_check(text, [](const std::string& t) { return parse_size(t); });
}

std::string memory_limit_check(const std::string& text) {
  return parse_check(text, [](const std::string& t) { return parse_memory_limit(t); });
}

Action add_bench(CLI::App& app, const GlobalOptions& global) {
  struct Options {
    std::string shape = "tree";
    std::int64_t n = 100'000;
    std::string scheduler = "threads";
    int repeat = 3;
    bool fuse = false;
    bool record = false;
  };
  auto options = std::make_shared<Options>();
  auto* bench = app.add_subcommand("bench", "benchmarks");
  bench->require_subcommand(1);
  auto* tasks = bench->add_subcommand("tasks", "build and run a graph of n trivial tasks");
  tasks->add_option("--shape", options->shape, "map, chain or tree")->check(CLI::IsMember({"map", "chain", "tree"}));
  tasks->add_option("--n", options->n, "number of tasks")->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000'000}));
  tasks->add_option("--scheduler", options->scheduler, "sync or threads")->check(CLI::IsMember({"sync", "threads"}));
  tasks->add_option("--repeat", options->repeat, "runs; the fastest is reported")->check(CLI::Range(1, 1000));
  tasks->add_flag("--fuse", options->fuse, "fuse linear chains before running");
  tasks->add_flag("--record", options->record,
                  "record each run's tasks in a Profile of its own, writing nothing (what recording costs)");
  struct TransferOptions {
    std::string bytes = "8MiB";
    int repeat = 10;
  };
  auto transfer_options = std::make_shared<TransferOptions>();
  auto* transfer = bench->add_subcommand("transfer", "move a chunk from rank 0 to rank 1 through the runtime");
  transfer->add_option("--bytes", transfer_options->bytes, "chunk size: bytes, or with KiB, MiB, GiB")
      ->check(size_check);
  transfer->add_option("--repeat", transfer_options->repeat, "runs; the fastest is reported")->check(CLI::Range(1, 10000));
  auto tasks_action = [options, &global] {
    ComputeOptions compute_options;
    compute_options.scheduler = options->scheduler == "sync" ? SchedulerKind::sync : SchedulerKind::threads;
    compute_options.threads = global.threads;
    compute_options.fuse = options->fuse;
    ComputeStats stats;
    compute_options.stats = &stats;
    Run best;
    for (int r = 0; r < options->repeat; ++r) {
      std::unique_ptr<Profile> profile;  // one per run: what recording one graph of n tasks costs
      if (options->record) profile = std::make_unique<Profile>(ProfileOptions{.sample_interval = 0});
      Run run = run_shape(options->shape, options->n, compute_options);
      if (run.result != run.expected) {
        std::fprintf(stderr, "tessera bench: wrong result %lld, expected %lld\n", static_cast<long long>(run.result),
                     static_cast<long long>(run.expected));
        return 1;
      }
      if (r == 0 || run.run_seconds < best.run_seconds) best.run_seconds = run.run_seconds;
      if (r == 0 || run.build_seconds < best.build_seconds) best.build_seconds = run.build_seconds;
      best.tasks = run.tasks;
    }
    const double tasks = static_cast<double>(best.tasks);
    if (global.runtime->rank() != 0) return 0;
    std::printf("shape=%s n=%zu ranks=%d threads=%u build_us_per_task=%.3f us_per_task=%.3f\n",
                options->shape.c_str(), best.tasks, global.runtime->size(), stats.threads,
                best.build_seconds / tasks * 1e6, best.run_seconds / tasks * 1e6);
    return 0;
  };
  auto futures_n = std::make_shared<std::int64_t>(10'000);
  auto* futures = bench->add_subcommand("futures", "submit n trivial futures, then gather them (Dask's W5)");
  futures->add_option("--n", *futures_n, "number of futures")->check(CLI::Range(std::int64_t{1}, std::int64_t{10'000'000}));
  auto futures_action = [futures_n, &global] {
    const std::int64_t n = *futures_n;
    auto start = Clock::now();
    std::vector<Future<std::int64_t>> submitted;
    submitted.reserve(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) submitted.push_back(submit(inc, i));
    const double submit_seconds = seconds_since(start);
    auto values = gather(submitted);
    const double seconds = seconds_since(start);
    std::int64_t total = 0;
    for (auto v : values) total += v;
    if (total != n * (n + 1) / 2) throw_error(ErrorKind::generic, "bench futures: wrong sum");
    if (global.runtime->rank() == 0) {
      std::printf("futures n=%lld ranks=%d submit_us_per_task=%.3f us_per_task=%.3f\n", static_cast<long long>(n),
                  global.runtime->size(), submit_seconds / static_cast<double>(n) * 1e6,
                  seconds / static_cast<double>(n) * 1e6);
    }
    return 0;
  };
  auto transfer_action = [transfer_options, &global] {
    if (global.runtime->size() < 2) {  // on one rank it would time a copy within the process
      std::fprintf(stderr, "tessera: bench transfer needs two ranks (rank 0 sends, rank 1 receives): "
                           "run it under mpiexec -n 2\n");
      return 2;
    }
    const auto bytes = static_cast<std::size_t>(parse_size(transfer_options->bytes));
    TransferRun run = run_transfer(bytes, transfer_options->repeat, *global.runtime, global.threads);
    if (global.runtime->rank() == 0) {
      std::printf("bytes=%zu MB_per_s=%.1f\n", bytes, static_cast<double>(bytes) / run.best_seconds / 1e6);
    }
    return 0;
  };
  auto spill = add_bench_spill(*bench, global);
  return [tasks, futures, spill, tasks_action, futures_action, transfer_action] {
    if (spill.command->parsed()) return spill.action();
    if (tasks->parsed()) return tasks_action();
    return futures->parsed() ? futures_action() : transfer_action();
  };
}

}  // namespace tessera::launcher
