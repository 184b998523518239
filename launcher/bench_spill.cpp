// tessera bench spill --total SIZE --chunk SIZE --memory-limit SIZE
//
// Seeded chunks adding up to --total, each needed twice by a two-pass
// standard deviation (examples::chunked_std), under a memory budget of
// --memory-limit per rank: with a total beyond the budget, chunks spill after
// the first pass and come back for the second. The last line is
//   total_bytes=T spilled_bytes=S seconds=X peak_tracked_bytes=P checksum=C
// with S summed over ranks, P the largest rank's peak, and C the standard
// deviation (checked against NumPy by tests/oracle/spill_oracle.py). The line
// before it gives the spill file's write and read rates: the best rank's
// (bytes over the time it was writing or reading) and their sum over ranks,
// and the largest peak resident memory of a rank (VmHWM), which
// tests/cli/spill_rss_test.sh holds to the limit plus the stated overhead.
#include "commands.hpp"

#include <tessera/compute.hpp>
#include <tessera/memory.hpp>
#include <tessera/size.hpp>

#include "chunked_std.hpp"

#include <chrono>
#include <cstdio>

namespace tessera::launcher {
SubcommandAction add_bench_spill(CLI::App& bench, const GlobalOptions& global) {
  struct Options {
    std::string total = "1GiB", chunk = "64MiB", memory_limit;
  };
  auto options = std::make_shared<Options>();
  auto* command = bench.add_subcommand("spill", "a two-pass reduction over chunks larger than the memory budget");
  command->add_option("--total", options->total, "bytes of chunks in all")->check(size_check);
  command->add_option("--chunk", options->chunk, "bytes per chunk (a multiple of 8)")->check(size_check);
  command->add_option("--memory-limit", options->memory_limit,
                      "memory budget per rank, a size or a percentage of RAM (default: the global one)")
      ->check(memory_limit_check);
  auto action = [options, &global]() -> int {
    const std::uint64_t total = parse_size(options->total), chunk = parse_size(options->chunk) / 8 * 8;
    if (chunk == 0 || total < chunk) {
      throw_error(ErrorKind::input, "bench spill: --chunk must be at least 8 bytes and at most --total");
    }
    if (!options->memory_limit.empty()) {
      MemoryOptions memory;
      memory.limit = parse_memory_limit(options->memory_limit);
      memory.spill_dir = global.spill_dir;
      configure_memory(memory);
    }
    const std::size_t chunks = total / chunk;
    Graph graph = examples::chunked_std(chunks, chunk);
    ComputeStats stats;
    const auto before = memory_status();
    const auto start = std::chrono::steady_clock::now();
    auto out = compute(graph, {Key("std")}, {.threads = global.threads, .stats = &stats});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto after = memory_status();
    Runtime& runtime = *global.runtime;
    const auto spilled = runtime.sum_over_ranks(static_cast<std::int64_t>(stats.spilled_bytes));
    const auto peak = runtime.max_over_ranks(static_cast<std::int64_t>(stats.peak_memory_bytes));
    // The write and read rates of this rank's spill file, in MB/s (0 if it did not spill).
    const double write_seconds = after.spill_write_seconds - before.spill_write_seconds;
    const double read_seconds = after.spill_read_seconds - before.spill_read_seconds;
    const auto rate = [](std::uint64_t bytes, double s) { return s > 0 ? static_cast<double>(bytes) / s / 1e6 : 0.0; };
    const auto write_rate = static_cast<std::int64_t>(rate(stats.spilled_bytes, write_seconds));
    const auto read_rate = static_cast<std::int64_t>(rate(stats.unspilled_bytes, read_seconds));
    const auto max_write = runtime.max_over_ranks(write_rate), max_read = runtime.max_over_ranks(read_rate);
    const auto sum_write = runtime.sum_over_ranks(write_rate), sum_read = runtime.sum_over_ranks(read_rate);
    const auto peak_rss = runtime.max_over_ranks(static_cast<std::int64_t>(after.peak_rss_bytes));
    if (runtime.rank() == 0) {
      std::printf("chunks=%zu chunk_bytes=%llu memory_limit=%llu ranks=%d unspilled_bytes=%llu "
                  "spill_write_MB_per_s=%lld spill_read_MB_per_s=%lld all_ranks_write_MB_per_s=%lld "
                  "all_ranks_read_MB_per_s=%lld peak_rss_bytes=%lld\n",
                  chunks, static_cast<unsigned long long>(chunk), static_cast<unsigned long long>(stats.memory_limit),
                  runtime.size(), static_cast<unsigned long long>(stats.unspilled_bytes),
                  static_cast<long long>(max_write), static_cast<long long>(max_read), static_cast<long long>(sum_write),
                  static_cast<long long>(sum_read), static_cast<long long>(peak_rss));
      std::printf("total_bytes=%llu spilled_bytes=%lld seconds=%.3f peak_tracked_bytes=%lld checksum=%.17g\n",
                  static_cast<unsigned long long>(chunks * chunk), static_cast<long long>(spilled), seconds,
                  static_cast<long long>(peak), out[0].get<double>());
    }
    return 0;
  };
  return {command, action};
}

}  // namespace tessera::launcher
