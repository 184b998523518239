// The memory budget across ranks: results several times the budget compute
// right with each rank's tracked peak within it, a rank that cannot spill
// ends the run on every rank, spill files go, and rank 0's progress lines
// show every rank's memory.
#include <tessera/array.hpp>
#include <tessera/compute.hpp>
#include <tessera/dataframe.hpp>
#include <tessera/io/hdf5.hpp>
#include <tessera/memory.hpp>
#include <tessera/runtime.hpp>

#include "chunked_std_oracle.hpp"
#include "files_under.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <unistd.h>

namespace {
using namespace tessera;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr std::size_t chunk_bytes = 1 << 20;

Runtime& runtime() { return *Runtime::current(); }

class MemoryAcrossRanks : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tessera-mpi-memory-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    configure_memory({});
    fs::remove_all(dir_);
  }
  std::uintmax_t bytes_on_disk() const { return test::bytes_of_files_under(dir_); }
  fs::path dir_;
};

TEST_F(MemoryAcrossRanks, ResultsFourTimesTheBudgetComputeRightWithinIt) {
  const std::uint64_t limit = 8 * chunk_bytes;
  MemoryOptions options;
  options.limit = limit;
  options.spill_dir = dir_.string();
  configure_memory(options);
  const std::size_t chunks = 32 + 8 * static_cast<std::size_t>(runtime().size());
  ComputeStats stats;
  auto out = compute(test::chunked_std(chunks, chunk_bytes), {Key("std")}, {.stats = &stats});
  EXPECT_DOUBLE_EQ(out[0].get<double>(), test::chunked_std_oracle(chunks, chunk_bytes));
  EXPECT_GE(chunks * chunk_bytes, 4 * limit);
  // Every rank, from its own record: the budget plus the largest result.
  EXPECT_LE(stats.peak_memory_bytes, limit + chunk_bytes) << "rank " << runtime().rank();
  EXPECT_EQ(stats.memory_limit, limit);
  const auto spilled = runtime().sum_over_ranks(static_cast<std::int64_t>(stats.spilled_bytes));
  EXPECT_GT(spilled, 0);
  EXPECT_EQ(memory_status().spilled_bytes, 0u) << "rank " << runtime().rank();
  EXPECT_EQ(bytes_on_disk(), 0u) << "rank " << runtime().rank();
}

TEST_F(MemoryAcrossRanks, ARankThatCannotSpillEndsTheRunOnEveryRank) {
  const int bad = runtime().size() - 1;
  const fs::path file = dir_ / ("a-file-" + std::to_string(runtime().rank()));
  std::ofstream(file) << "not a directory";
  const std::string bad_dir = (file / "spill").string();
  MemoryOptions options;
  options.force_spill = true;
  options.spill_dir = runtime().rank() == bad ? bad_dir : dir_.string();
  configure_memory(options);
  const std::string expected_dir = runtime().broadcast(bad_dir, bad);
  try {
    compute(test::chunked_std(4 * runtime().size(), 8000), {Key("std")});
    ADD_FAILURE() << "expected a MemoryError on rank " << runtime().rank();
  } catch (const MemoryError& e) {
    EXPECT_THAT(e.what(), HasSubstr(expected_dir));
    EXPECT_EQ(e.info().rank, bad);
  }
  EXPECT_EQ(memory_status().spilled_bytes, 0u) << "rank " << runtime().rank();
  // The next run is clean.
  configure_memory({});
  auto out = compute(test::chunked_std(4, 8000), {Key("std")});
  EXPECT_DOUBLE_EQ(out[0].get<double>(), test::chunked_std_oracle(4, 8000));
}

TEST_F(MemoryAcrossRanks, SpillFilesAreGoneAfterATaskError) {
  MemoryOptions options;
  options.force_spill = true;
  options.spill_dir = dir_.string();
  configure_memory(options);
  Graph g = test::chunked_std(4 * runtime().size(), 8000);
  g.add_task(Key("broken"), [](double) -> double { throw std::runtime_error("stop"); }, ref<double>(Key("std")));
  EXPECT_THROW(compute(g, {Key("broken")}), TaskError);
  EXPECT_EQ(memory_status().spilled_bytes, 0u) << "rank " << runtime().rank();
  EXPECT_EQ(bytes_on_disk(), 0u) << "rank " << runtime().rank();
}

// Issue 10, item 6: persisted chunks count against each rank's budget and
// spill; a later computation reads them back, each rank within its limit.
TEST_F(MemoryAcrossRanks, AnArrayThreeTimesTheBudgetPersistsAndSumsWithinIt) {
  const std::uint64_t limit = 16 * chunk_bytes;
  MemoryOptions options;
  options.limit = limit;
  options.spill_dir = dir_.string();
  configure_memory(options);
  const auto tracked_before = memory_status().tracked_bytes;
  const auto chunk_elements = static_cast<std::int64_t>(chunk_bytes / sizeof(std::int64_t));
  // Three times the budget of every rank.
  const auto n = static_cast<std::int64_t>(3 * limit / sizeof(std::int64_t)) * runtime().size();
  const std::string rank = "rank " + std::to_string(runtime().rank());
  {
    ComputeStats stats;
    array::Array p = array::arange(n, {chunk_elements}).persist({.stats = &stats});
    EXPECT_LE(stats.peak_memory_bytes, limit + chunk_bytes) << rank;
    EXPECT_LE(memory_status().tracked_bytes, limit) << rank;
    EXPECT_GT(runtime().sum_over_ranks(static_cast<std::int64_t>(memory_status().spilled_bytes)), 0);
    for (int pass = 0; pass < 2; ++pass) {
      EXPECT_EQ(p.sum().compute({.stats = &stats}).item<std::int64_t>(), n * (n - 1) / 2) << rank << " pass " << pass;
      EXPECT_LE(stats.peak_memory_bytes, limit + chunk_bytes) << rank << " pass " << pass;
    }
    EXPECT_EQ((p * 2 - 1).max().compute({.stats = &stats}).item<std::int64_t>(), 2 * (n - 1) - 1) << rank;
    EXPECT_LE(stats.peak_memory_bytes, limit + chunk_bytes) << rank;
  }
  // The array went: every rank let go of its chunks and their spill extents.
  EXPECT_EQ(memory_status().spilled_bytes, 0u) << rank;
  EXPECT_EQ(memory_status().tracked_bytes, tracked_before) << rank;
  EXPECT_EQ(bytes_on_disk(), 0u) << rank;
}

// Issue 10, the seed's literal form from a file: x - x.mean(axis=1) makes
// every output block wait for all the row means. Reading x again for the
// second pass (instead of holding the first read's blocks) keeps each rank
// within a budget a quarter of the file's size, with nothing spilled; and
// as both passes are reductions, their chunk tasks read their bands in slabs
// themselves: no band is ever whole in memory.
TEST_F(MemoryAcrossRanks, TheLiteralSeedFormFromAFileReadsTwiceInSlabsWithinTheBudget) {
  const auto ranks = runtime().size();
  const std::int64_t n = 1024 * (ranks == 1 ? 2 : 4);  // 32 MiB at 1 rank, 128 MiB at 2 and 4
  const std::int64_t band = static_cast<std::int64_t>(chunk_bytes) / (8 * n);
  auto value = [](std::int64_t i, std::int64_t j) { return std::sin(0.37 * static_cast<double>(i) + 0.011 * static_cast<double>(j)) + 0.001 * static_cast<double>(i); };
  const fs::path file = fs::temp_directory_path() /
                        ("tessera-literal-" + std::to_string(runtime().max_over_ranks(::getpid())) + ".h5");
  array::to_hdf5(file.string(), "/x",
                 array::from_function({n, n}, {band, n}, DType::float64,
                                      [&](const array::BlockInfo& info, std::span<std::byte> out) {
                                        auto* v = reinterpret_cast<double*>(out.data());
                                        for (std::int64_t i = 0; i < info.shape[0]; ++i) {
                                          for (std::int64_t j = 0; j < n; ++j) *v++ = value(info.offset[0] + i, j);
                                        }
                                      }));
  // The oracle: two plain passes in long double.
  std::vector<long double> means(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    long double sum = 0;
    for (std::int64_t j = 0; j < n; ++j) sum += value(i, j);
    means[static_cast<std::size_t>(i)] = sum / static_cast<long double>(n);
  }
  long double sum = 0, squares = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      const long double y = value(i, j) - means[static_cast<std::size_t>(j)];
      sum += y;
      squares += y * y;
    }
  }
  const long double count = static_cast<long double>(n) * static_cast<long double>(n);
  const double want = static_cast<double>(std::sqrt(squares / count - (sum / count) * (sum / count)));

  const std::uint64_t limit = static_cast<std::uint64_t>(n * n * 8 / ranks / 4);
  MemoryOptions options;
  options.limit = limit;
  options.spill_dir = dir_.string();
  configure_memory(options);
  const std::string rank = "rank " + std::to_string(runtime().rank());
  array::Array x = array::from_hdf5(file.string(), "/x", {band, n});
  ComputeStats stats;
  const double got = (x - x.mean(1)).std().compute({.stats = &stats, .record_schedule = true}).item<double>();
  EXPECT_NEAR(got, want, 1e-12 * want) << rank;
  EXPECT_LE(stats.peak_memory_bytes, limit) << rank;
  EXPECT_LT(stats.peak_memory_bytes, chunk_bytes) << rank;
  EXPECT_EQ(stats.spilled_bytes, 0u) << rank;
  // No task made a band: one chunk task per band and pass read it.
  std::int64_t reads = 0, mean_chunks = 0, std_chunks = 0;
  for (const auto& [key, where] : stats.placement) {
    const std::string k = key.str();
    reads += k.find("from_hdf5") != std::string::npos;
    mean_chunks += k.rfind("('mean-", 0) == 0;
    std_chunks += k.rfind("('std-chunk-", 0) == 0;
  }
  EXPECT_EQ(reads, 0) << rank;
  EXPECT_EQ(mean_chunks, n / band) << rank;
  EXPECT_EQ(std_chunks, n / band) << rank;
  runtime().barrier();
  if (runtime().rank() == 0) fs::remove(file);
}

// Issue 11, the shuffle: set_index over a frame four times every rank's
// budget sorts it across ranks within the budget (pieces waiting on either
// side spill), with balanced partitions.
TEST_F(MemoryAcrossRanks, ASetIndexOfFourTimesTheBudgetSortsWithinIt) {
  namespace dd = dataframe;
  const std::uint64_t limit = 16 * chunk_bytes;
  MemoryOptions options;
  options.limit = limit;
  options.spill_dir = dir_.string();
  configure_memory(options);
  // Partitions of 1 MiB (65,536 rows of key and value), made inside their tasks.
  constexpr std::int64_t rows_per_part = chunk_bytes / 16;
  const std::int64_t parts = 4 * 16 * runtime().size();
  ColumnBuilder seeds(ColumnType::int64);
  for (std::int64_t p = 0; p < parts; ++p) seeds.append(p);
  const auto base = dd::from_table(Table({"seed"}, {seeds.finish()}), parts);
  const auto df = base.map_partitions(
      [](const Table& t) {
        ColumnBuilder key(ColumnType::int64), value(ColumnType::float64);
        for (std::int64_t r = 0; r < t.num_rows(); ++r) {
          const std::int64_t seed = t.column(0).int64s()[static_cast<std::size_t>(r)];
          for (std::int64_t i = 0; i < rows_per_part; ++i) {
            // A scrambled key: every partition's keys spread over the whole range.
            const auto k = static_cast<std::int64_t>((static_cast<std::uint64_t>(seed * rows_per_part + i) * 0x9e3779b97f4a7c15ull) >> 24);
            key.append(k);
            value.append(static_cast<double>(seed));
          }
        }
        return Table({"key", "value"}, {key.finish(), value.finish()});
      },
      "scrambled-keys");
  const std::string rank = "rank " + std::to_string(runtime().rank());
  ComputeStats stats;
  const auto sorted = df.set_index("key").persist({.stats = &stats});
  EXPECT_LE(stats.peak_memory_bytes, limit + 4 * chunk_bytes) << rank;
  EXPECT_GT(runtime().sum_over_ranks(static_cast<std::int64_t>(stats.spilled_bytes)), 0);
  // Each partition sorted, after the one before it, and about as large as the others.
  const auto summary = sorted.map_partitions(
      [](const Table& t) {
        ColumnBuilder n(ColumnType::int64), lo(ColumnType::int64), hi(ColumnType::int64), ok(ColumnType::bool_);
        const auto k = t.column("key").int64s();
        n.append(t.num_rows());
        lo.append(k.empty() ? std::int64_t{0} : k.front());
        hi.append(k.empty() ? std::int64_t{0} : k.back());
        ok.append(std::is_sorted(k.begin(), k.end()));
        return Table({"n", "lo", "hi", "sorted"}, {n.finish(), lo.finish(), hi.finish(), ok.finish()});
      },
      "check-sorted").compute({.stats = &stats});
  EXPECT_LE(stats.peak_memory_bytes, limit + 4 * chunk_bytes) << rank;
  ASSERT_EQ(summary.num_rows(), parts);
  std::int64_t total = 0, largest = 0;
  for (std::int64_t p = 0; p < parts; ++p) {
    const auto at = static_cast<std::size_t>(p);
    EXPECT_TRUE(summary.column("sorted").bools()[at]) << "partition " << p;
    if (p > 0 && summary.column("n").int64s()[at] > 0) {
      EXPECT_LE(summary.column("hi").int64s()[at - 1], summary.column("lo").int64s()[at]) << "partition " << p;
    }
    total += summary.column("n").int64s()[at];
    largest = std::max(largest, summary.column("n").int64s()[at]);
  }
  EXPECT_EQ(total, parts * rows_per_part);
  EXPECT_LE(largest, 2 * rows_per_part) << "unbalanced: the largest partition has " << largest << " rows";
  EXPECT_EQ(sorted.divisions().size(), static_cast<std::size_t>(parts) + 1);
}

TEST(ProgressAcrossRanks, RankZeroPrintsEveryRanksMemory) {
  ::setenv("TESSERA_PROGRESS_INTERVAL", "0.05", 1);
  const int tasks = 8 * runtime().size();
  Graph g;
  std::vector<Key> parts;
  for (int i = 0; i < tasks; ++i) {
    parts.emplace_back("part", std::initializer_list<std::int64_t>{i});
    g.add_task(parts.back(), [i] {
      std::this_thread::sleep_for(std::chrono::milliseconds(40));
      return std::vector<double>(1000, i);
    });
  }
  g.add_task(Key("total"), TaskFunction([](TaskArgs args) {
               double s = 0;
               for (const Value* v : args) s += v->get<std::vector<double>>()[0];
               return Value::of(s);
             }),
             parts);
  ::testing::internal::CaptureStderr();
  auto out = compute(g, {Key("total")}, {.progress = ProgressMode::automatic});
  const std::string err = ::testing::internal::GetCapturedStderr();
  ::unsetenv("TESSERA_PROGRESS_INTERVAL");
  EXPECT_EQ(out[0].get<double>(), tasks * (tasks - 1) / 2.0);
  if (runtime().rank() == 0) {
    const std::string done = std::to_string(tasks + 1) + "/" + std::to_string(tasks + 1) + " tasks";
    EXPECT_THAT(err, HasSubstr("tessera: progress 100% " + done));
    EXPECT_THAT(err, HasSubstr("part " + std::to_string(tasks) + "/" + std::to_string(tasks)));
    for (int r = 0; r < runtime().size(); ++r) EXPECT_THAT(err, HasSubstr("rank " + std::to_string(r) + " "));
  } else {
    EXPECT_EQ(err, "") << "only rank 0 shows progress";
  }
}

}  // namespace
