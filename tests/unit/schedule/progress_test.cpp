// The progress display: plain lines when stderr is not a terminal, drawn in
// place with ProgressMode::always, nothing when off; counts by key prefix.
#include <tessera/compute.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace {
using namespace tessera;
using ::testing::HasSubstr;
using ::testing::Not;

// n slow tasks named like Dask's ('load-3f2a9c', i), then one that sums them.
Graph slow_graph(int n = 12) {
  Graph g;
  std::vector<Key> loads;
  for (int i = 0; i < n; ++i) {
    loads.emplace_back("load-3f2a9c", std::initializer_list<std::int64_t>{i});
    g.add_task(loads.back(), [i] {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      return i;
    });
  }
  g.add_task(Key("total"), TaskFunction([](TaskArgs args) {
               int s = 0;
               for (const Value* v : args) s += v->get<int>();
               return Value::of(s);
             }),
             loads);
  return g;
}

std::string run_captured(std::optional<ProgressMode> mode, int n = 12) {
  ::setenv("TESSERA_PROGRESS_INTERVAL", "0.05", 1);
  ::testing::internal::CaptureStderr();
  auto out = compute(slow_graph(n), {Key("total")}, {.scheduler = SchedulerKind::sync, .progress = mode});
  std::string err = ::testing::internal::GetCapturedStderr();
  ::unsetenv("TESSERA_PROGRESS_INTERVAL");
  EXPECT_EQ(out[0].get<int>(), n * (n - 1) / 2);
  return err;
}

TEST(Progress, PrintsPlainLinesWhenStderrIsNotATerminal) {
  const std::string err = run_captured(ProgressMode::automatic);
  EXPECT_THAT(err, HasSubstr("tessera: progress "));
  EXPECT_THAT(err, HasSubstr("100% 13/13 tasks"));  // the last line, at the end
  EXPECT_THAT(err, HasSubstr("load 12/12, total 1/1"));
  EXPECT_THAT(err, HasSubstr("tasks/s"));
  EXPECT_THAT(err, HasSubstr("rank 0 "));
  EXPECT_THAT(err, Not(HasSubstr("\r")));
  EXPECT_GE(std::count(err.begin(), err.end(), '\n'), 3);  // some while it ran, one at the end
}

TEST(Progress, DrawsInPlaceWhenAskedTo) {
  const std::string err = run_captured(ProgressMode::always, 32);  // past the half second it waits
  EXPECT_THAT(err, HasSubstr("\r\033[K[####################] 100% 33/33 tasks"));
  EXPECT_EQ(err.back(), '\n');
}

TEST(Progress, ShowsNothingWhenOff) {
  EXPECT_EQ(run_captured(ProgressMode::off), "");
  set_default_progress(ProgressMode::off);
  EXPECT_EQ(run_captured(std::nullopt), "");
  set_default_progress(ProgressMode::automatic);
}

TEST(Progress, ShortComputesPrintNothing) {
  ::testing::internal::CaptureStderr();
  auto out = compute(slow_graph(), {Key("total")}, {.progress = ProgressMode::automatic});  // default interval: 10 s
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(out[0].get<int>(), 66);
}

}  // namespace
