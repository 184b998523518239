// W2 (issue 10) on the Array: the seed expression on an HDF5 dataset, timed.
//
//     mpiexec -n 2 array_w2_bench FILE DATASET [--mode persisted|file] [--op std|sum|rowmean]
//         [--form keepdims|literal] [--chunks R C] [--repeat N] [--memory-limit L] [--trace FILE]
//
// --mode persisted: x = from_hdf5(...).persist() once (HDF5 read and first
//   touch of the chunks, timed apart), then the expression on the persisted
//   chunks --repeat times. Its passes read 2 x nbytes (x.mean(axis=1), then
//   the fused subtract-and-reduce); the result is a few numbers, so no timed
//   pass touches fresh pages: the GB/s exclude first touch.
// --mode file: the expression from the file --repeat times (each chunk read
//   once from HDF5 and used by both passes); GB/s over nbytes.
// --form keepdims: (x - x.mean(axis=1, keepdims=True)).OP() (what h5-reduce
//   --center does); literal: (x - x.mean(axis=1)).OP(), the seed's literal
//   form that dask_ref.py's W2std times (the row means broadcast along the
//   last axis; square datasets only), so the checksums can be compared.
// --op rowmean times the first pass alone, x.mean(axis=1).sum() (nbytes read).
// --trace FILE writes the timed runs' task records (tessera::Profile).
// One line per repeat and a summary line on rank 0, key=value.
#include <tessera/array.hpp>
#include <tessera/diagnostics.hpp>
#include <tessera/io/hdf5.hpp>
#include <tessera/memory.hpp>
#include <tessera/runtime.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace da = tessera::array;

int main(int argc, char** argv) {
  tessera::Runtime runtime(argc, argv);
  if (argc < 3) {
    if (runtime.rank() == 0) {
      std::fprintf(stderr,
                   "usage: array_w2_bench FILE DATASET [--mode persisted|file] [--op std|sum] "
                   "[--form keepdims|literal] [--chunks R C] [--repeat N] [--memory-limit L] [--trace FILE]\n");
    }
    return 2;
  }
  const std::string file = argv[1], dataset = argv[2];
  std::string mode = "persisted", op = "std", form = "keepdims", limit, trace;
  da::ChunkSpec chunks;
  std::string chunk_text = "auto";
  int repeat = 5;
  for (int i = 3; i < argc; ++i) {
    const std::string flag = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", flag.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (flag == "--mode") mode = next();
    else if (flag == "--op") op = next();
    else if (flag == "--form") form = next();
    else if (flag == "--repeat") repeat = std::stoi(next());
    else if (flag == "--memory-limit") limit = next();
    else if (flag == "--trace") trace = next();
    else if (flag == "--chunks") {
      const std::int64_t r = std::stoll(next()), c = std::stoll(next());
      chunks = da::ChunkSpec(da::Shape{r, c});
      chunk_text = std::to_string(r) + "x" + std::to_string(c);
    } else {
      std::fprintf(stderr, "unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  if (!limit.empty()) {
    tessera::MemoryOptions memory;
    memory.limit = tessera::parse_memory_limit(limit);
    tessera::configure_memory(memory);
  }
  using clock = std::chrono::steady_clock;
  auto seconds_since = [](clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); };

  da::Array x = da::from_hdf5(file, dataset, chunks);
  const double nbytes = static_cast<double>(x.nbytes());
  double persist_seconds = 0;
  if (mode == "persisted") {
    runtime.barrier();
    const auto t = clock::now();
    x = x.persist();
    runtime.barrier();
    persist_seconds = seconds_since(t);
  }
  const da::Array centered = form == "literal" ? x - x.mean(1) : x - x.mean(1, true);
  // --op rowmean: x.mean(axis=1).sum(), the first pass alone (one read of x).
  const da::Array expr = op == "sum" ? centered.sum() : op == "rowmean" ? x.mean(1).sum() : centered.std();
  const double bytes_read = mode == "persisted" && op != "rowmean" ? 2 * nbytes : nbytes;

  std::optional<tessera::Profile> profile;
  if (!trace.empty()) profile.emplace();
  std::vector<double> times;
  double result = 0;
  for (int r = 0; r < repeat; ++r) {
    runtime.barrier();
    const auto t = clock::now();
    result = expr.compute().at(0);
    runtime.barrier();
    times.push_back(seconds_since(t));
    if (runtime.rank() == 0) {
      std::printf("w2 mode=%s op=%s form=%s repeat=%d seconds=%.4f GBps=%.2f result=%.10e\n", mode.c_str(), op.c_str(),
                  form.c_str(), r, times.back(), bytes_read / times.back() / 1e9, result);
      std::fflush(stdout);
    }
  }
  if (profile) profile->write_trace(trace);
  const tessera::MemoryStatus status = tessera::memory_status();
  const auto peak_rss = runtime.max_over_ranks(static_cast<std::int64_t>(status.peak_rss_bytes));
  const auto peak_tracked = runtime.max_over_ranks(static_cast<std::int64_t>(status.peak_tracked_bytes));
  const auto spilled = runtime.sum_over_ranks(static_cast<std::int64_t>(status.spilled_total));
  if (runtime.rank() == 0) {
    const double best = *std::min_element(times.begin(), times.end());
    std::printf("w2_summary mode=%s op=%s form=%s ranks=%d threads=%u chunks=%s blocks=%lld nbytes=%.0f "
                "bytes_read_per_run=%.0f best_seconds=%.4f best_GBps=%.2f persist_seconds=%.3f "
                "first_touch_in_timed_runs=%s limit_mib=%llu peak_rss_mib=%.0f peak_tracked_mib=%.0f "
                "spilled_mib=%.0f result=%.10e\n",
                mode.c_str(), op.c_str(), form.c_str(), runtime.size(), runtime.threads(), chunk_text.c_str(),
                static_cast<long long>(x.numblocks()[0] * x.numblocks()[1]), nbytes, bytes_read, best,
                bytes_read / best / 1e9, persist_seconds, mode == "persisted" ? "no" : "chunk_buffers_unless_cached",
                static_cast<unsigned long long>(status.limit >> 20), static_cast<double>(peak_rss) / 1048576.0,
                static_cast<double>(peak_tracked) / 1048576.0, static_cast<double>(spilled) / 1048576.0, result);
  }
  return 0;
}
