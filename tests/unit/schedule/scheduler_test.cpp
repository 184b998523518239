// The same bodies run under every local scheduler (SchedulerKind param).
#include <tessera/compute.hpp>
#include <tessera/delayed.hpp>

#include "lattice.hpp"
#include "reads_twice.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <numeric>
#include <thread>

namespace {
using namespace tessera;
using ::testing::HasSubstr;

class SchedulerTest : public ::testing::TestWithParam<SchedulerKind> {
 protected:
  ComputeOptions on_param(ComputeStats* stats = nullptr) const {
    return {.scheduler = GetParam(), .threads = 2, .stats = stats};
  }
};

using test::lattice;
using test::lattice_oracle;

TEST_P(SchedulerTest, MatchesAPlainLoop) {
  std::vector<Key> outputs;
  Graph g = lattice(64, 40, outputs);
  auto out = compute(g, outputs, on_param());
  auto expected = lattice_oracle(64, 40);
  ASSERT_EQ(out.size(), expected.size());
  for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i].get<std::int64_t>(), expected[i]) << i;
}

TEST_P(SchedulerTest, SameResultsAsTheSynchronousScheduler) {
  std::vector<Key> outputs;
  Graph g = lattice(200, 30, outputs);
  auto reference = compute(g, outputs, {.scheduler = SchedulerKind::sync});
  for (int repeat = 0; repeat < 5; ++repeat) {
    auto out = compute(g, outputs, on_param());
    for (std::size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i].get<std::int64_t>(), reference[i].get<std::int64_t>());
  }
}

TEST_P(SchedulerTest, FreesResultsAsSoonAsNothingNeedsThem) {
  // A chain: each result is needed only by the next task.
  auto step = delayed([](const std::vector<int>& v) { return std::vector<int>(v.size(), v[0] + 1); }, "step");
  auto x = delayed_value(std::vector<int>(1000, 0));
  for (int i = 0; i < 500; ++i) x = step(x);
  ComputeStats stats;
  EXPECT_EQ(compute(x, on_param(&stats))[0], 500);
  EXPECT_EQ(stats.tasks_run, 500u);
  EXPECT_LE(stats.peak_live_results, 2u);  // an input and the result being made
  EXPECT_LE(stats.peak_live_bytes, 2 * (1000 * sizeof(int) + sizeof(std::vector<int>)));
}

// A root whose consumers all wait for computed work is not read early.
TEST_P(SchedulerTest, SecondReadsWaitForTheTotalTheyAreCentredOn) {
  const std::int64_t n = 40;
  std::vector<Key> outputs;
  Graph g = test::reads_twice(n, outputs);
  for (int repeat = 0; repeat < 5; ++repeat) {
    ComputeStats stats;
    ComputeOptions options = on_param(&stats);
    options.record_schedule = true;
    auto out = compute(g, outputs, options);
    ASSERT_EQ(out.size(), static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) EXPECT_EQ(out[static_cast<std::size_t>(i)].get<std::int64_t>(), i - n * (n - 1) / 2);
    EXPECT_TRUE(test::second_reads_after_total(stats.completion_order, n)) << "repeat " << repeat;
  }
}

TEST_P(SchedulerTest, OutputsAreKeptAndReturned) {
  auto inc = delayed([](int v) { return v + 1; }, "inc");
  auto a = inc(1);
  auto b = inc(a);
  auto [ra, rb] = compute(ComputeOptions{.scheduler = GetParam(), .threads = 2}, a, b);
  EXPECT_EQ(ra, 2);
  EXPECT_EQ(rb, 3);
}

TEST_P(SchedulerTest, TaskErrorNamesKeyTypeAndMessage) {
  auto bad = delayed([](int) -> int { throw std::invalid_argument("boom"); }, "explode")(1);
  auto after = delayed([](int v) { return v; }, "after")(bad);
  try {
    compute(after, on_param());
    FAIL() << "expected TaskError";
  } catch (const TaskError& e) {
    EXPECT_EQ(e.info().key, bad.key().str());
    EXPECT_EQ(e.info().original_type, "std::invalid_argument");
    EXPECT_EQ(e.info().message, "boom");
    EXPECT_THAT(e.what(), HasSubstr("task " + bad.key().str() + " failed on rank 0"));
    EXPECT_THAT(e.what(), HasSubstr("std::invalid_argument: boom"));
    // A single process is rank 0, and says so once.
    EXPECT_EQ(e.info().rank, 0);
    EXPECT_EQ(std::string(e.what()).find("rank", std::string(e.what()).find("rank") + 1), std::string::npos);
  }
}

TEST_P(SchedulerTest, CatchingTheBaseClassIsEnough) {
  auto bad = delayed([]() -> int { throw 42; }, "odd")();
  EXPECT_THROW(compute(bad, on_param()), Error);
}

TEST_P(SchedulerTest, NoTaskStartsAfterAnError) {
  // One failing task among many slow independent ones: once it fails, the
  // scheduler starts nothing new, so far fewer than all of them run.
  std::atomic<int> started{0};
  std::vector<Delayed<int>> tasks;
  auto slow = delayed([&started](int i) {
    ++started;
    // Long enough that 100 of them leave a loaded machine a second to see the error.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return i;
  }, "slow");
  tasks.push_back(delayed([]() -> int { throw std::runtime_error("first"); }, "fail")());
  for (int i = 0; i < 400; ++i) tasks.push_back(slow(i));
  // Make the failing task the first in the order: it is the heaviest input of the sum.
  auto total = delayed([](const std::vector<int>& v) { return std::accumulate(v.begin(), v.end(), 0); }, "total")(tasks);
  EXPECT_THROW(compute(total, on_param()), TaskError);
  EXPECT_LT(started.load(), 100);
}

TEST_P(SchedulerTest, ATaskCanComputeAGraphItself) {
  auto inner = delayed([](int v) { return v * 2; }, "inner");
  auto outer = delayed([inner](int v) { return compute(inner(v)) + 1; }, "outer");
  std::vector<Delayed<int>> many;
  for (int i = 0; i < 8; ++i) many.push_back(outer(i));
  auto results = compute(many, on_param());
  for (int i = 0; i < 8; ++i) EXPECT_EQ(results[i], 2 * i + 1);
}

TEST_P(SchedulerTest, ATaskThatReturnsNoValueIsNamed) {
  Graph g;
  g.add_task(Key("hollow", {2}), TaskFunction([](TaskArgs) { return Value(); }), {});
  try {
    compute(g, {Key("hollow", {2})}, on_param());
    FAIL() << "expected TaskError";
  } catch (const TaskError& e) {
    EXPECT_EQ(e.info().key, "('hollow', 2)");
    EXPECT_THAT(e.what(), HasSubstr("task ('hollow', 2) failed on rank 0: returned no value"));
  }
}

TEST_P(SchedulerTest, EmptyAndDataOnlyGraphs) {
  Graph g;
  EXPECT_TRUE(compute(g, std::vector<Key>{}, on_param()).empty());
  g.add_data(Key("d"), std::string("hello"));
  EXPECT_EQ(compute(g, {Key("d")}, on_param())[0].get<std::string>(), "hello");
}

INSTANTIATE_TEST_SUITE_P(Local, SchedulerTest, ::testing::Values(SchedulerKind::sync, SchedulerKind::threads),
                         [](const auto& info) { return info.param == SchedulerKind::sync ? "sync" : "threads"; });

TEST(ThreadCount, ComesFromTheEnvironment) {
  ::setenv("TESSERA_THREADS", "3", 1);
  EXPECT_EQ(default_thread_count(), 3u);
  ComputeStats stats;
  compute(delayed([] { return 1; }, "one")(), {.stats = &stats});
  EXPECT_EQ(stats.threads, 3u);
  ::setenv("TESSERA_THREADS", "lots", 1);
  EXPECT_THAT([] { default_thread_count(); }, ::testing::ThrowsMessage<InputError>(HasSubstr("TESSERA_THREADS=lots")));
  ::unsetenv("TESSERA_THREADS");
  EXPECT_GE(default_thread_count(), 1u);
}

TEST(Values, TypeMismatchNamesBothTypes) {
  Value v = Value::of(3.5);
  EXPECT_EQ(v.get<double>(), 3.5);
  EXPECT_THAT([&] { v.get<int>(); }, ::testing::ThrowsMessage<TypeError>(AllOf(HasSubstr("double"), HasSubstr("int"))));
  EXPECT_EQ(Value::of(std::vector<double>(10)).nbytes(), 10 * sizeof(double) + sizeof(std::vector<double>));
  EXPECT_EQ(Value::of(std::string(100, 'x')).nbytes(), 100 + sizeof(std::string));
}

}  // namespace

namespace {
// Under TESSERA_FORCE_SPILL=1 (the *.forced_spill entries of CTest) every
// suite goes through the spill path; this checks that it really does.
TEST(ForcedSpill, SpillsEveryResultWhenTheEnvironmentAsks) {
  if (!std::getenv("TESSERA_FORCE_SPILL")) GTEST_SKIP() << "runs in schedule_test.forced_spill";
  using namespace tessera;
  auto twice = delayed([](const std::vector<double>& v) { return std::vector<double>(v.size(), 2 * v[0]); }, "twice");
  auto x = twice(twice(delayed_value(std::vector<double>(1000, 1.5))));
  ComputeStats stats;
  EXPECT_EQ(compute(x, {.stats = &stats})[0], 6.0);
  EXPECT_GE(stats.spilled_bytes, 2 * 1000 * sizeof(double));
  EXPECT_GE(stats.unspilled_bytes, 1000 * sizeof(double));  // the output is read back after the stats
}
}  // namespace
