// Diagnostics in one process: task records of every scheduler and of
// futures, spill bytes in them, resource samples, the drawing coloured by
// rank with bytes on its edges, and levelled logging.
#include <tessera/compute.hpp>
#include <tessera/diagnostics.hpp>
#include <tessera/error.hpp>
#include <tessera/futures.hpp>
#include <tessera/graph.hpp>
#include <tessera/json.hpp>
#include <tessera/log.hpp>
#include <tessera/memory.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace {

using ::testing::HasSubstr;

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("tessera-diagnostics-test-" + name)).string();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// n leaves of 64 KiB summed pairwise: 2n - 1 tasks.
tessera::Graph tree(int n) {
  tessera::Graph g;
  std::vector<tessera::Key> level;
  for (int i = 0; i < n; ++i) {
    tessera::Key k("leaf", {i});
    g.add_task(k, [i] { return std::vector<double>(8192, double(i)); });
    level.push_back(k);
  }
  int depth = 0;
  while (level.size() > 1) {
    std::vector<tessera::Key> next;
    for (std::size_t i = 0; i + 1 < level.size(); i += 2) {
      tessera::Key k("add", {depth, static_cast<std::int64_t>(i / 2)});
      g.add_task(
          k,
          [](const std::vector<double>& a, const std::vector<double>& b) {
            std::vector<double> c(a.size());
            for (std::size_t j = 0; j < a.size(); ++j) c[j] = a[j] + b[j];
            return c;
          },
          tessera::ref<std::vector<double>>(level[i]), tessera::ref<std::vector<double>>(level[i + 1]));
      next.push_back(k);
    }
    if (level.size() % 2) next.push_back(level.back());
    level = next;
    ++depth;
  }
  return g;
}

struct TraceCounts {
  std::size_t tasks = 0;
  std::size_t spill_tasks = 0;
  std::size_t memory_samples = 0;
  std::uint64_t max_rss = 0;
  std::map<std::string, std::size_t> by_name;
};

TraceCounts count_trace(const std::string& path) {
  TraceCounts c;
  const auto trace = tessera::Json::parse(read_file(path));
  for (const auto& e : trace["traceEvents"].items()) {
    const auto ph = e["ph"].as_string();
    if (ph == "X" && e["cat"].as_string() == "task") {
      ++c.tasks;
      ++c.by_name[std::string(e["name"].as_string())];
      if (e["args"].contains("spill_written")) ++c.spill_tasks;
    } else if (ph == "C" && e["name"].as_string() == "memory") {
      ++c.memory_samples;
      c.max_rss = std::max<std::uint64_t>(c.max_rss, static_cast<std::uint64_t>(e["args"]["rss"].as_int64()));
    }
  }
  return c;
}

TEST(Profile, RecordsEveryTaskOfEachSchedulerAndChangesNoResult) {
  const auto g = tree(64);
  const tessera::Key root("add", {5, 0});
  const auto want = tessera::compute(g, {root}, {.scheduler = tessera::SchedulerKind::sync})[0];
  for (auto scheduler : {tessera::SchedulerKind::sync, tessera::SchedulerKind::threads}) {
    tessera::Profile profile({.sample_interval = 0.005});
    tessera::ComputeStats stats;
    const auto got = tessera::compute(g, {root}, {.scheduler = scheduler, .threads = 2, .stats = &stats})[0];
    EXPECT_EQ(got.get<std::vector<double>>(), want.get<std::vector<double>>());
    std::this_thread::sleep_for(std::chrono::milliseconds(30));  // a few resource samples
    const std::string path = temp_path("trace.json");
    profile.write_trace(path);
    EXPECT_EQ(profile.tasks_recorded(), stats.tasks_run);
    const auto counts = count_trace(path);
    EXPECT_EQ(counts.tasks, stats.tasks_run);
    EXPECT_EQ(counts.by_name.at("leaf"), 64u);
    EXPECT_EQ(counts.by_name.at("add"), 63u);
    EXPECT_GE(counts.memory_samples, 2u);
    EXPECT_GT(counts.max_rss, 1u << 20);
    // Forced spills (the .forced_spill run of this test) show in the tasks that spilled.
    if (tessera::memory_status().force_spill) {
      EXPECT_GT(counts.spill_tasks, 0u);
    }
    std::filesystem::remove(path);
  }
}

// Records are timed on the CPU's counter where it is a clock, and turned
// into time when read: a task that sleeps 40 ms lasts 40 ms in the trace,
// not more than the whole compute did, and its consumer starts after it.
TEST(Profile, TaskTimesAreWallTime) {
  tessera::Graph g;
  const tessera::Key nap("nap", {0}), after("after", {0});
  g.add_task(nap, [] {
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    return 1;
  });
  g.add_task(after, [](int x) { return x + 1; }, tessera::ref<int>(nap));
  const std::string path = temp_path("times.json");
  for (auto scheduler : {tessera::SchedulerKind::sync, tessera::SchedulerKind::threads}) {
    tessera::Profile profile({.sample_interval = 0});
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(tessera::compute(g, {after}, {.scheduler = scheduler})[0].get<int>(), 2);
    const double compute_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the scale is read at the write: later than the runs
    profile.write_trace(path);
    double nap_ts = -1, nap_dur = -1, after_ts = -1;
    const auto trace = tessera::Json::parse(read_file(path));
    for (const auto& e : trace["traceEvents"].items()) {
      if (e["ph"].as_string() != "X" || e["cat"].as_string() != "task") continue;
      if (e["name"].as_string() == "nap") {
        nap_ts = e["ts"].as_double();
        nap_dur = e["dur"].as_double();
      } else if (e["name"].as_string() == "after") {
        after_ts = e["ts"].as_double();
      }
    }
    EXPECT_GE(nap_dur, 40'000.0);
    EXPECT_LE(nap_dur, compute_us);
    EXPECT_GE(after_ts, nap_ts + nap_dur - 1.0);  // the trace's microseconds are rounded
  }
  std::filesystem::remove(path);
}

TEST(Profile, RecordsFuturesAndStopsAtItsEnd) {
  const std::string path = temp_path("futures.json");
  {
    tessera::Profile profile({.sample_interval = 0});
    auto squares = tessera::map([](int x) { return x * x; }, std::vector<int>{1, 2, 3, 4, 5});
    const auto all = tessera::gather(squares);
    EXPECT_EQ(all, (std::vector<int>{1, 4, 9, 16, 25}));
    profile.write_trace(path);
    EXPECT_EQ(profile.tasks_recorded(), 5u);
  }
  // No Profile: nothing recorded, and a new one starts empty.
  tessera::compute(tree(4), {tessera::Key("add", {1, 0})});
  tessera::Profile later({.sample_interval = 0});
  later.write_trace(path);
  EXPECT_EQ(later.tasks_recorded(), 0u);
  std::filesystem::remove(path);
}

TEST(Profile, ReportIsOneFileWithTheDataInlined) {
  tessera::Profile profile({.sample_interval = 0, .title = "a </script> title"});
  tessera::compute(tree(8), {tessera::Key("add", {2, 0})});
  const std::string path = temp_path("report.html");
  profile.write_report(path);
  const std::string html = read_file(path);
  EXPECT_THAT(html, HasSubstr("\"title\":\"a \\u003c/script> title\""));  // cannot end the script element
  EXPECT_EQ(html.find("/*TESSERA_DATA*/"), std::string::npos);
  EXPECT_EQ(html.find("/*TESSERA_D3*/"), std::string::npos);
  EXPECT_EQ(html.find("<script src"), std::string::npos);  // nothing fetched from elsewhere
  EXPECT_THAT(html, HasSubstr("d3={version:\"3."));  // d3 itself, inlined
  std::filesystem::remove(path);
}

TEST(Profile, WritingWhereNobodyCanIsAnInputError) {
  tessera::Profile profile({.sample_interval = 0});
  EXPECT_THROW(profile.write_trace("/no/such/directory/t.json"), tessera::InputError);
}

TEST(Visualize, ColoursByRankAndLabelsEdgesWithBytesAfterAProfile) {
  const auto g = tree(8);
  const std::string plain = g.to_dot();
  EXPECT_THAT(plain, HasSubstr("fillcolor="));
  // Leaves and adds get different colours: one per key name.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(plain, m, std::regex("\\('leaf', 0\\)\", shape=ellipse, fillcolor=\"(#[0-9a-f]+)\"")));
  const std::string leaf_colour = m[1];
  ASSERT_TRUE(std::regex_search(plain, m, std::regex("\\('add', 0, 0\\)\", shape=ellipse, fillcolor=\"(#[0-9a-f]+)\"")));
  EXPECT_NE(leaf_colour, m[1]);

  tessera::Graph::RunFacts facts;
  facts.rank["('leaf', 0)"] = 1;
  facts.rank["('add', 0, 0)"] = 0;
  facts.bytes["('leaf', 0)"] = 65536;
  const std::string ran = g.to_dot(2000, &facts);
  EXPECT_THAT(ran, HasSubstr("('leaf', 0)\\nrank 1"));
  EXPECT_THAT(ran, HasSubstr("[style=bold, label=\"64.0 KiB\"]"));  // leaf 0 moved from rank 1 to rank 0

  // Summarised: counts and bytes on the edges between names.
  const std::string summary = g.to_dot(4, &facts);
  EXPECT_THAT(summary, HasSubstr("\"leaf\" -> \"add\" [label=\"8\\n64.0 KiB\"]"));
}

TEST(Log, LinesNameRankTimeAndLevelAndFollowTheLevel) {
  const auto before = tessera::log_level();
  tessera::set_log_level(tessera::LogLevel::info);
  testing::internal::CaptureStderr();
  tessera::log(tessera::LogLevel::info, "hello from the test");
  tessera::log(tessera::LogLevel::debug, "not shown at info");
  tessera::log(tessera::LogLevel::warn, "a warning");
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(std::regex_search(err, std::regex("tessera \\[rank 0 \\+[0-9]+\\.[0-9]{3}s\\] info: hello from the test\n")))
      << err;
  EXPECT_THAT(err, HasSubstr("] warning: a warning\n"));
  EXPECT_EQ(err.find("not shown"), std::string::npos);
  tessera::set_log_level(tessera::LogLevel::warn);
  testing::internal::CaptureStderr();
  tessera::log(tessera::LogLevel::info, "quiet by default");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  tessera::set_log_level(before);
  EXPECT_EQ(tessera::parse_log_level("debug"), tessera::LogLevel::debug);
  EXPECT_EQ(tessera::parse_log_level("warning"), tessera::LogLevel::warn);
  EXPECT_THROW(tessera::parse_log_level("loud"), tessera::InputError);
}

TEST(Log, InfoSaysWhatEachComputeRan) {
  const auto before = tessera::log_level();
  tessera::set_log_level(tessera::LogLevel::info);
  testing::internal::CaptureStderr();
  tessera::compute(tree(4), {tessera::Key("add", {1, 0})}, {.scheduler = tessera::SchedulerKind::sync});
  const std::string err = testing::internal::GetCapturedStderr();
  tessera::set_log_level(before);
  EXPECT_THAT(err, HasSubstr("info: compute(): 7 tasks on 1 thread"));
}

}  // namespace
