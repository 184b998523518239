// Throughput of lib/io/hdf5 reads and writes, for docs/hdf5_measurements.md
// (bench/hdf5_vs_dd.sh runs it next to dd).
//
//   hdf5_read_bench read FILE DATASET ROWS_PER_BLOCK [PASSES]
//       every rank reads its half (its 1/size) of the rows of a 2-d float64
//       dataset in blocks of ROWS_PER_BLOCK rows, PASSES times (default 3);
//       the driver is TESSERA_HDF5_DRIVER's (sec2 or mpio).
//   hdf5_read_bench open FILE DATASET TIMES
//       the median time to open the file and dataset (a read cache miss).
//   hdf5_read_bench write FILE ROWS COLS ROWS_PER_BLOCK CHUNK_ROWS [--no-runtime]
//       every rank writes its rows of a new float64 dataset /x through
//       Hdf5Writer (CHUNK_ROWS 0: contiguous); --no-runtime: one process, sec2.
// Prints one line per pass: MB/s over all ranks, from the first rank's start
// to the last rank's end (a barrier on each side).
#include "io/hdf5/hdf5_file.hpp"

#include <tessera/runtime.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

int rank_of(const tessera::Runtime* rt) { return rt ? rt->rank() : 0; }
int size_of(const tessera::Runtime* rt) { return rt ? rt->size() : 1; }
void barrier(const tessera::Runtime* rt) {
  if (rt) rt->barrier();
}

int read(const tessera::Runtime& rt, const std::string& path, const std::string& dataset, std::int64_t block_rows,
         int passes) {
  const auto info = tessera::io::hdf5_dataset_info(path, dataset);
  const std::int64_t rows = info.shape.at(0), cols = info.shape.at(1);
  const std::int64_t share = (rows + rt.size() - 1) / rt.size();
  const std::int64_t begin = std::min(rows, share * rt.rank()), end = std::min(rows, begin + share);
  std::vector<double> buffer(static_cast<std::size_t>(block_rows * cols), 1.0);  // touched: no page faults timed
  for (int pass = 0; pass < passes; ++pass) {
    tessera::io::hdf5_close_all_cached();  // each pass opens the file once, as a run of tasks would
    rt.barrier();
    const auto start = Clock::now();
    std::int64_t reads = 0;
    for (std::int64_t r = begin; r < end; r += block_rows, ++reads) {
      const std::vector<std::int64_t> offset = {r, 0}, count = {std::min(block_rows, end - r), cols};
      tessera::io::hdf5_read(path, dataset, offset, count, tessera::DType::float64, buffer.data());
    }
    rt.barrier();
    const double s = seconds_since(start);
    if (rt.rank() == 0) {
      const double mb = static_cast<double>(rows * cols * 8) / 1e6;
      std::printf("read driver=%s ranks=%d block_rows=%lld block_MB=%.1f pass=%d seconds=%.3f MB/s=%.0f reads_per_rank=%lld\n",
                  tessera::io::hdf5_read_driver().c_str(), rt.size(), static_cast<long long>(block_rows),
                  static_cast<double>(block_rows * cols * 8) / 1e6, pass, s, mb / s, static_cast<long long>(reads));
    }
  }
  return 0;
}

// What a cache miss costs: opening the file and dataset (hdf5_dataset_info
// after closing the cached handles), the median of `times` opens.
int open(const tessera::Runtime& rt, const std::string& path, const std::string& dataset, int times) {
  std::vector<double> us;
  for (int k = 0; k < times; ++k) {
    tessera::io::hdf5_close_all_cached();
    const auto start = Clock::now();
    tessera::io::hdf5_dataset_info(path, dataset);
    us.push_back(seconds_since(start) * 1e6);
  }
  std::sort(us.begin(), us.end());
  if (rt.rank() == 0) {
    std::printf("open driver=%s ranks=%d median_us=%.0f\n", tessera::io::hdf5_read_driver().c_str(), rt.size(),
                us[us.size() / 2]);
  }
  return 0;
}

int write(const tessera::Runtime* rt, const std::string& path, std::int64_t rows, std::int64_t cols,
          std::int64_t block_rows, std::int64_t chunk_rows) {
  const std::int64_t share = (rows + size_of(rt) - 1) / size_of(rt);
  const std::int64_t begin = std::min(rows, share * rank_of(rt)), end = std::min(rows, begin + share);
  std::vector<double> buffer(static_cast<std::size_t>(block_rows * cols), 0.5);
  tessera::io::Hdf5DatasetSpec spec{"/x", tessera::DType::float64, {rows, cols}, {}};
  if (chunk_rows > 0) spec.chunk_shape = {chunk_rows, cols};
  barrier(rt);
  const auto start = Clock::now();
  tessera::io::Hdf5Writer out(path, {&spec, 1});
  const double created = seconds_since(start);
  for (std::int64_t r = begin; r < end; r += block_rows) {
    const std::vector<std::int64_t> offset = {r, 0}, count = {std::min(block_rows, end - r), cols};
    out.write(0, offset, count, tessera::DType::float64, buffer.data());
  }
  barrier(rt);
  const double written = seconds_since(start);
  out.close();
  const double s = seconds_since(start);
  if (rank_of(rt) == 0) {
    std::printf("write driver=%s ranks=%d layout=%s block_rows=%lld create_s=%.3f write_s=%.3f close_s=%.3f MB/s=%.0f\n",
                rt ? "mpio" : "sec2", size_of(rt), chunk_rows > 0 ? "chunked" : "contiguous",
                static_cast<long long>(block_rows), created, written - created, s - written,
                static_cast<double>(rows * cols * 8) / 1e6 / s);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() >= 4 && args[0] == "read") {
    tessera::Runtime rt(argc, argv);
    return read(rt, args[1], args[2], std::stoll(args[3]), args.size() > 4 ? std::stoi(args[4]) : 3);
  }
  if (args.size() >= 4 && args[0] == "open") {
    tessera::Runtime rt(argc, argv);
    return open(rt, args[1], args[2], std::stoi(args[3]));
  }
  if (args.size() >= 6 && args[0] == "write") {
    std::unique_ptr<tessera::Runtime> rt;
    if (args.size() < 7 || args[6] != "--no-runtime") rt = std::make_unique<tessera::Runtime>(argc, argv);
    return write(rt.get(), args[1], std::stoll(args[2]), std::stoll(args[3]), std::stoll(args[4]), std::stoll(args[5]));
  }
  std::fprintf(stderr, "usage: hdf5_read_bench read FILE DATASET ROWS_PER_BLOCK [PASSES]\n"
                       "       hdf5_read_bench open FILE DATASET TIMES\n"
                       "       hdf5_read_bench write FILE ROWS COLS ROWS_PER_BLOCK CHUNK_ROWS [--no-runtime]\n");
  return 64;
}
