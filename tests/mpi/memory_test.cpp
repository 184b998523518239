// The memory budget across ranks: results several times the budget compute
// right with each rank's tracked peak within it, a rank that cannot spill
// ends the run on every rank, spill files go, and rank 0's progress lines
// show every rank's memory.
#include <tessera/array.hpp>
#include <tessera/compute.hpp>
#include <tessera/memory.hpp>
#include <tessera/runtime.hpp>

#include "chunked_std_oracle.hpp"
#include "files_under.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
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
