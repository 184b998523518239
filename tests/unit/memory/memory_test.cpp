// The memory budget on one rank: spilling keeps the tracked peak within the
// limit, results come back right, spill files go, and bad spill directories
// or a full disk are clear errors. Under both local schedulers.
#include <tessera/compute.hpp>
#include <tessera/memory.hpp>
#include <tessera/size.hpp>

#include "chunked_std_oracle.hpp"
#include "files_under.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {
using namespace tessera;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr std::size_t chunk_bytes = 1 << 20;

// A spill directory of the test's own, and the default budget back afterwards.
class MemoryTest : public ::testing::TestWithParam<SchedulerKind> {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("tessera-memory-test-" + std::to_string(::getpid()));
    fs::create_directories(base_);
  }
  void TearDown() override {
    configure_memory({});
    fs::remove_all(base_);
  }
  void budget(std::uint64_t limit, bool force = false, std::string dir = {}) {
    MemoryOptions options;
    options.limit = limit;
    options.force_spill = force;
    options.spill_dir = dir.empty() ? base_.string() : dir;
    configure_memory(options);
  }
  ComputeOptions options(ComputeStats* stats) const { return {.scheduler = GetParam(), .threads = 2, .stats = stats}; }
  std::uintmax_t bytes_on_disk() const { return test::bytes_of_files_under(base_); }
  fs::path base_;
};

TEST(MemoryLimit, ParsesSizesAndPercentagesOfRam) {
  EXPECT_EQ(parse_memory_limit("512MiB"), 512ull << 20);
  EXPECT_EQ(parse_memory_limit("4GB"), 4000000000ull);
  EXPECT_EQ(parse_memory_limit("1000"), 1000u);
  const auto half = parse_memory_limit("50%");
  const auto all = parse_memory_limit("100%");
  EXPECT_GT(half, 0u);
  EXPECT_NEAR(static_cast<double>(half), static_cast<double>(all) / 2, 4096.0);
  EXPECT_NEAR(static_cast<double>(parse_memory_limit("12.5%")), static_cast<double>(all) / 8, 4096.0);
  // A bare 1 is one byte and a bare 0.5 or 1.0 is an error, never a fraction of RAM in disguise.
  EXPECT_EQ(parse_memory_limit("1"), 1u);
  for (const char* bad : {"lots", "0.5", "1.0", "12 apples", "150%", "0%", "%", "50 %x", "0"}) {
    EXPECT_THAT([&] { parse_memory_limit(bad); },
                ::testing::ThrowsMessage<InputError>(::testing::AllOf(
                    ::testing::HasSubstr(std::string("'") + bad + "'"), ::testing::HasSubstr("50%"))))
        << bad;
  }
}

TEST(MemoryLimit, ComesFromTheEnvironment) {
  ::setenv("TESSERA_MEMORY_LIMIT", "3MiB", 1);
  ::setenv("TESSERA_FORCE_SPILL", "1", 1);
  configure_memory({});
  auto status = memory_status();
  ::unsetenv("TESSERA_MEMORY_LIMIT");
  ::unsetenv("TESSERA_FORCE_SPILL");
  EXPECT_EQ(status.limit, 3u << 20);
  EXPECT_TRUE(status.force_spill);
  EXPECT_EQ(status.target, static_cast<std::uint64_t>(0.6 * (3u << 20)));
  ::setenv("TESSERA_MEMORY_LIMIT", "much", 1);
  EXPECT_THROW(configure_memory({}), InputError);
  ::setenv("TESSERA_MEMORY_LIMIT", "0.5", 1);  // the same rules as --memory-limit
  EXPECT_THAT([] { configure_memory({}); },
              ::testing::ThrowsMessage<InputError>(::testing::HasSubstr("TESSERA_MEMORY_LIMIT: memory limit '0.5'")));
  ::setenv("TESSERA_MEMORY_LIMIT", "25%", 1);
  configure_memory({});
  EXPECT_NEAR(static_cast<double>(memory_status().limit), static_cast<double>(parse_memory_limit("100%")) / 4, 4096.0);
  ::unsetenv("TESSERA_MEMORY_LIMIT");
  configure_memory({});
  EXPECT_FALSE(memory_status().force_spill && !std::getenv("TESSERA_FORCE_SPILL"));
}

TEST_P(MemoryTest, ResultsFourTimesTheBudgetComputeRightWithinIt) {
  const std::uint64_t limit = 8 * chunk_bytes;
  budget(limit);
  const std::size_t chunks = 40;  // 40 MiB of chunks, all alive between the passes
  ComputeStats stats;
  auto out = compute(test::chunked_std(chunks, chunk_bytes), {Key("std")}, options(&stats));
  EXPECT_DOUBLE_EQ(out[0].get<double>(), test::chunked_std_oracle(chunks, chunk_bytes));
  EXPECT_GE(chunks * chunk_bytes, 4 * limit);
  EXPECT_GT(stats.spilled_bytes, 0u);
  EXPECT_GT(stats.unspilled_bytes, 0u);
  EXPECT_EQ(stats.memory_limit, limit);
  EXPECT_LE(stats.peak_memory_bytes, limit + chunk_bytes);  // the budget plus the largest result
  EXPECT_GE(stats.peak_live_bytes, chunks * chunk_bytes);  // all alive, most on disk
  EXPECT_EQ(memory_status().spilled_bytes, 0u);  // the run's spill extents are gone
  EXPECT_EQ(bytes_on_disk(), 0u);
}

TEST_P(MemoryTest, WithoutPressureNothingSpills) {
  budget(1ull << 30);
  ComputeStats stats;
  auto out = compute(test::chunked_std(8, 8192), {Key("std")}, options(&stats));
  EXPECT_DOUBLE_EQ(out[0].get<double>(), test::chunked_std_oracle(8, 8192));
  EXPECT_EQ(stats.spilled_bytes, 0u);
}

TEST_P(MemoryTest, ForcedSpillingSpillsEveryResultAndReadsItBack) {
  budget(1ull << 30, /*force=*/true);
  ComputeStats stats;
  auto out = compute(test::chunked_std(6, 8000), {Key("std")}, options(&stats));
  EXPECT_DOUBLE_EQ(out[0].get<double>(), test::chunked_std_oracle(6, 8000));
  EXPECT_GE(stats.spilled_bytes, 6 * 8000);  // every chunk went to disk
  EXPECT_GE(stats.unspilled_bytes, 6 * 8000);
}

TEST_P(MemoryTest, TypesThatCannotTravelStayInMemory) {
  struct Opaque {  // no Transport: it cannot be written out
    std::vector<double> data;
    std::size_t nbytes() const { return data.size() * sizeof(double); }
  };
  budget(1ull << 30, /*force=*/true);
  Graph g;
  g.add_task(Key("make"), [] { return Opaque{std::vector<double>(1000, 2.0)}; });
  g.add_task(Key("sum"), [](const Opaque& o) { return o.data[0] * static_cast<double>(o.data.size()); },
             ref<Opaque>(Key("make")));
  ComputeStats stats;
  EXPECT_EQ(compute(g, {Key("sum")}, options(&stats))[0].get<double>(), 2000.0);
  EXPECT_EQ(stats.spilled_bytes, sizeof(double));  // only the travelling double result
}

TEST_P(MemoryTest, SpillFilesAreGoneAfterATaskError) {
  budget(1ull << 30, /*force=*/true);
  Graph g = test::chunked_std(8, 8000);
  g.add_task(Key("broken"), [](double total) -> double { throw std::runtime_error("no " + std::to_string(total)); },
             ref<double>(Key("std")));
  EXPECT_THROW(compute(g, {Key("broken")}, options(nullptr)), TaskError);
  EXPECT_EQ(memory_status().spilled_bytes, 0u);
  EXPECT_EQ(bytes_on_disk(), 0u);
}

TEST_P(MemoryTest, AResultLargerThanTheBudgetIsComputedSpilledAndNamed) {
  budget(1 << 20);
  Graph g;
  g.add_task(Key("huge", {7}), [] { return examples::seeded_chunk(1, 4 * chunk_bytes); });  // 4 MiB
  g.add_task(Key("head"), [](const Buffer& v) { return v.as<double>()[3]; }, ref<Buffer>(Key("huge", {7})));
  ComputeStats stats;
  ::testing::internal::CaptureStderr();
  auto out = compute(g, {Key("head")}, options(&stats));
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(out[0].get<double>(), examples::seeded_chunk(1, 32).as<double>()[3]);
  EXPECT_THAT(err, HasSubstr("('huge', 7)"));
  EXPECT_THAT(err, HasSubstr("4.0 MiB"));
  EXPECT_THAT(err, HasSubstr("memory limit of 1.0 MiB"));
  EXPECT_GE(stats.spilled_bytes, 4 * chunk_bytes);
}

TEST_P(MemoryTest, TrackedAllocationsCountAgainstTheBudget) {
  budget(1ull << 30);
  Graph g;
  g.add_task(Key("scratch"), [] {
    TrackedAllocation scratch(64 << 20);
    return memory_status().tracked_bytes;
  });
  ComputeStats stats;
  auto out = compute(g, {Key("scratch")}, options(&stats));
  EXPECT_GE(out[0].get<std::uint64_t>(), 64u << 20);
  EXPECT_GE(stats.peak_memory_bytes, 64u << 20);
  EXPECT_LT(memory_status().tracked_bytes, 64u << 20);
}

TEST_P(MemoryTest, AnUnwritableSpillDirectoryIsAClearError) {
  const fs::path file = base_ / "a-file";
  std::ofstream(file) << "not a directory";
  const std::string dir = (file / "spill").string();  // below a regular file: cannot exist, even for root
  budget(1ull << 30, /*force=*/true, dir);
  try {
    compute(test::chunked_std(4, 8000), {Key("std")}, options(nullptr));
    FAIL() << "expected a MemoryError";
  } catch (const MemoryError& e) {
    EXPECT_THAT(e.what(), HasSubstr(dir));
    EXPECT_THAT(e.what(), HasSubstr("--spill-dir"));
    EXPECT_EQ(e.info().rank, 0);
  }
}

TEST_P(MemoryTest, RunningOutOfDiskIsAClearErrorNamingTheDirectory) {
  budget(2 * chunk_bytes, /*force=*/false);
  // The disk "fills" at 3 MiB: files may not grow past it (SIGXFSZ ignored, so writes fail with EFBIG).
  rlimit old{};
  ::getrlimit(RLIMIT_FSIZE, &old);
  auto* previous = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = 3 << 20;
  ::setrlimit(RLIMIT_FSIZE, &small);
  std::string message;
  try {
    compute(test::chunked_std(16, chunk_bytes), {Key("std")}, options(nullptr));
  } catch (const MemoryError& e) {
    message = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, previous);
  EXPECT_THAT(message, HasSubstr("cannot spill"));
  EXPECT_THAT(message, HasSubstr(base_.string()));
  EXPECT_THAT(message, HasSubstr("File too large"));
  EXPECT_EQ(memory_status().spilled_bytes, 0u);
}

// The spill directory goes when the process ends, also when it ends with an
// error: a fresh copy of this program spills, fails and exits.
TEST(SpillDirectory, ChildThatSpillsAndFails) {
  const char* base = std::getenv("TESSERA_TEST_CHILD_SPILL_DIR");
  if (!base) GTEST_SKIP() << "run by IsRemovedAtExitAfterAnError";
  MemoryOptions options;
  options.spill_dir = base;
  options.force_spill = true;
  configure_memory(options);
  Graph g = test::chunked_std(4, 8000);
  g.add_task(Key("broken"), [](double) -> double { throw std::runtime_error("stop"); }, ref<double>(Key("std")));
  try {
    compute(g, {Key("broken")}, {.scheduler = SchedulerKind::sync});
  } catch (const TaskError&) {
    std::exit(memory_status().spill_dir.empty() ? 3 : 1);  // it did spill, then failed
  }
  std::exit(4);
}

TEST(SpillDirectory, IsRemovedAtExitAfterAnError) {
  const fs::path base = fs::temp_directory_path() / ("tessera-exit-test-" + std::to_string(::getpid()));
  fs::create_directories(base);
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const pid_t child = ::fork();
  if (child == 0) {
    ::setenv("TESSERA_TEST_CHILD_SPILL_DIR", base.c_str(), 1);
    ::execl(self.c_str(), self.c_str(), "--gtest_filter=SpillDirectory.ChildThatSpillsAndFails", nullptr);
    ::_exit(5);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_TRUE(fs::is_empty(base)) << "the spill directory was left behind";
  fs::remove_all(base);
}

// SIGTERM removes the spill directory too, then does what it would have
// done without us: end the process with the signal, or run the handler the
// program had installed. A fresh copy of this program spills and waits.
TEST(SpillDirectory, ChildThatSpillsAndWaitsForSigterm) {
  const char* base = std::getenv("TESSERA_TEST_CHILD_SPILL_DIR");
  if (!base) GTEST_SKIP() << "run by IsRemovedOnSigterm";
  if (std::getenv("TESSERA_TEST_CHILD_OWN_HANDLER")) std::signal(SIGTERM, [](int) { ::_exit(7); });
  MemoryOptions options;
  options.spill_dir = base;
  options.force_spill = true;
  configure_memory(options);
  compute(test::chunked_std(4, 8000), {Key("std")}, {.scheduler = SchedulerKind::sync});
  for (;;) ::pause();
}

int spill_and_terminate(const fs::path& base, bool own_handler) {
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const pid_t child = ::fork();
  if (child == 0) {
    ::setenv("TESSERA_TEST_CHILD_SPILL_DIR", base.c_str(), 1);
    if (own_handler) ::setenv("TESSERA_TEST_CHILD_OWN_HANDLER", "1", 1);
    ::execl(self.c_str(), self.c_str(), "--gtest_filter=SpillDirectory.ChildThatSpillsAndWaitsForSigterm", nullptr);
    ::_exit(5);
  }
  // Its spill file has data once the run has spilled.
  for (int i = 0; i < 3000 && !(fs::exists(base) && !fs::is_empty(base)); ++i) ::usleep(10000);
  EXPECT_FALSE(fs::is_empty(base)) << "the child made no spill directory";
  ::kill(child, SIGTERM);
  int status = 0;
  ::waitpid(child, &status, 0);
  return status;
}

TEST(SpillDirectory, IsRemovedOnSigterm) {
  const fs::path base = fs::temp_directory_path() / ("tessera-sigterm-test-" + std::to_string(::getpid()));
  fs::create_directories(base);
  const int status = spill_and_terminate(base, false);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << "wait status " << status;
  EXPECT_TRUE(fs::is_empty(base)) << "the spill directory was left behind";

  const int chained = spill_and_terminate(base, true);
  EXPECT_TRUE(WIFEXITED(chained) && WEXITSTATUS(chained) == 7) << "the program's own handler did not run: " << chained;
  EXPECT_TRUE(fs::is_empty(base)) << "the spill directory was left behind before the program's handler";
  fs::remove_all(base);
}

INSTANTIATE_TEST_SUITE_P(Local, MemoryTest, ::testing::Values(SchedulerKind::sync, SchedulerKind::threads),
                         [](const auto& info) { return info.param == SchedulerKind::sync ? "sync" : "threads"; });

}  // namespace
