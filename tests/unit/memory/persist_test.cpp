// Persisted results on one rank count against its memory budget and spill
// (issue 10, item 6): an array three times the budget persists and sums
// right with the tracked peak within the limit plus one chunk, and its spill
// extents go with the last handle. Under both local schedulers; the suite
// also runs with TESSERA_FORCE_SPILL=1.
#include <tessera/array.hpp>
#include <tessera/compute.hpp>
#include <tessera/delayed.hpp>
#include <tessera/memory.hpp>
#include <tessera/persisted.hpp>

#include "files_under.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <unistd.h>

namespace {
using namespace tessera;
namespace da = tessera::array;
namespace fs = std::filesystem;

constexpr std::uint64_t limit = 32ull << 20;
constexpr std::uint64_t chunk_bytes = 2ull << 20;
constexpr std::int64_t chunk_elements = static_cast<std::int64_t>(chunk_bytes / sizeof(std::int64_t));

class PersistSpill : public ::testing::TestWithParam<SchedulerKind> {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("tessera-persist-test-" + std::to_string(::getpid()));
    fs::create_directories(base_);
    MemoryOptions options;
    options.limit = limit;
    options.spill_dir = base_.string();
    configure_memory(options);
    tracked_before_ = memory_status().tracked_bytes;
  }
  void TearDown() override {
    configure_memory({});
    fs::remove_all(base_);
  }
  ComputeOptions options() const { return {.scheduler = GetParam(), .threads = 2}; }
  std::uintmax_t bytes_on_disk() const { return test::bytes_of_files_under(base_); }
  fs::path base_;
  std::uint64_t tracked_before_ = 0;
};

TEST_P(PersistSpill, AnArrayThreeTimesTheBudgetPersistsSpillsAndSumsRight) {
  const auto n = static_cast<std::int64_t>(3 * limit / sizeof(std::int64_t));  // 48 chunks of 2 MiB
  {
    da::Array p = da::arange(n, {chunk_elements}).persist(options());
    const auto persisted = memory_status();
    EXPECT_GT(persisted.spilled_bytes, 0u);
    EXPECT_LE(persisted.peak_tracked_bytes, limit + chunk_bytes);
    EXPECT_LE(persisted.tracked_bytes, limit);
    EXPECT_GT(bytes_on_disk(), 0u);

    // Twice: chunks read back for the first sum are spilled again (for free) for the later ones.
    for (int pass = 0; pass < 2; ++pass) {
      ComputeStats stats;
      ComputeOptions o = options();
      o.stats = &stats;
      EXPECT_EQ(p.sum().compute(o).item<std::int64_t>(), n * (n - 1) / 2) << "pass " << pass;
      EXPECT_LE(stats.peak_memory_bytes, limit + chunk_bytes) << "pass " << pass;
    }
    EXPECT_GT(memory_status().unspilled_total, persisted.unspilled_total);
    // A derived array: the persisted chunks feed an elementwise pass and a reduction.
    EXPECT_EQ((p * 2 - 1).max().compute(options()).item<std::int64_t>(), 2 * (n - 1) - 1);
    EXPECT_LE(memory_status().peak_tracked_bytes, limit + chunk_bytes);
  }
  // The last handle went: nothing counted, nothing on disk.
  const auto after = memory_status();
  EXPECT_EQ(after.spilled_bytes, 0u);
  EXPECT_EQ(after.tracked_bytes, tracked_before_);
  EXPECT_EQ(bytes_on_disk(), 0u);
}

TEST_P(PersistSpill, PersistedDelayedResultsSpillAndComeBack) {
  constexpr int parts = 24;  // 1.5 times the budget
  auto make = delayed([](int i) { return std::vector<std::int64_t>(chunk_elements, i); }, "make");
  std::vector<Delayed<std::vector<std::int64_t>>> made;
  for (int i = 0; i < parts; ++i) made.push_back(make(i));
  {
    auto kept = persist(made, options());
    EXPECT_GT(memory_status().spilled_bytes, 0u);
    auto total = delayed([](const std::vector<std::vector<std::int64_t>>& v) {
      std::int64_t s = 0;
      for (const auto& x : v) s += x.front() + x.back();
      return s;
    }, "total")(kept);
    EXPECT_EQ(compute(total, options()), parts * (parts - 1));
  }
  EXPECT_EQ(memory_status().spilled_bytes, 0u);
  EXPECT_EQ(memory_status().tracked_bytes, tracked_before_);
}

INSTANTIATE_TEST_SUITE_P(Local, PersistSpill, ::testing::Values(SchedulerKind::sync, SchedulerKind::threads));

struct Opaque {  // no Transport: it cannot be written out
  std::function<int()> f;
  std::size_t nbytes() const { return 8u << 20; }
};

TEST(PersistedValue, CountsItsBytesSpillsWhenUnusedAndReadsBack) {
  const auto base = fs::temp_directory_path() / ("tessera-persisted-value-" + std::to_string(::getpid()));
  MemoryOptions options;
  options.limit = limit;
  options.force_spill = true;  // every unused value goes to disk at once
  options.spill_dir = base.string();
  configure_memory(options);
  const auto before = memory_status();
  {
    PersistedValue empty(Value{});
    EXPECT_FALSE(empty.has_value());
    PersistedValue numbers(Value::of(std::vector<double>(1000, 2.5)), "numbers");
    EXPECT_EQ(numbers.nbytes(), Value::of(std::vector<double>(1000, 2.5)).nbytes());
    EXPECT_TRUE(numbers.spilled());
    EXPECT_EQ(memory_status().tracked_bytes, before.tracked_bytes);
    Value back = numbers.get();  // held: stays in memory
    EXPECT_EQ(back.get<std::vector<double>>(), std::vector<double>(1000, 2.5));
    EXPECT_FALSE(numbers.spilled());
    EXPECT_EQ(memory_status().tracked_bytes, before.tracked_bytes + numbers.nbytes());
    PersistedValue opaque(Value::of(Opaque{[] { return 7; }}));
    EXPECT_FALSE(opaque.spilled());  // it cannot travel: in memory, counted
    EXPECT_EQ(memory_status().tracked_bytes, before.tracked_bytes + numbers.nbytes() + opaque.nbytes());
    EXPECT_EQ(static_cast<Value>(opaque).get<Opaque>().f(), 7);
  }
  EXPECT_EQ(memory_status().tracked_bytes, before.tracked_bytes);
  EXPECT_EQ(memory_status().spilled_bytes, 0u);
  configure_memory({});
  fs::remove_all(base);
}

}  // namespace
