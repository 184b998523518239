// Diagnostics across ranks: a Profile's trace holds every task the runs'
// stats count, on the rank and thread that ran it, transfers whose flows
// pair up and whose bytes are what each rank received, and a report; the
// records survive a failed task, and recording does not change results.
#include <tessera/compute.hpp>
#include <tessera/diagnostics.hpp>
#include <tessera/error.hpp>
#include <tessera/graph.hpp>
#include <tessera/json.hpp>
#include <tessera/runtime.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>

namespace {

const tessera::Runtime& runtime() { return *tessera::Runtime::current(); }

// A directory every rank agrees on (rank 0 makes it).
std::string shared_dir(const std::string& name) {
  std::string dir;
  if (runtime().rank() == 0) {
    dir = (std::filesystem::temp_directory_path() / ("tessera-diag-" + std::to_string(::getpid()) + "-" + name)).string();
    std::filesystem::create_directories(dir);
  }
  return runtime().broadcast(dir, 0);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Blocks of numbers made on every rank in turn, each summed on the next rank:
// every sum fetches its block from another rank (with 2 or more ranks).
tessera::Graph ring_graph(int blocks, int ranks) {
  tessera::Graph g;
  std::vector<tessera::Key> sums;
  for (int i = 0; i < blocks; ++i) {
    const tessera::Key block("block", {i});
    const auto b = g.add_task(block, [i] { return std::vector<double>(20000, double(i)); });
    g.annotate(b, {.restricted_to = i % ranks});
    const tessera::Key sum("sum", {i});
    const auto s = g.add_task(
        sum,
        [](const std::vector<double>& v) {
          double total = 0;
          for (double x : v) total += x;
          return total;
        },
        tessera::ref<std::vector<double>>(block));
    g.annotate(s, {.restricted_to = (i + 1) % ranks});
    sums.push_back(sum);
  }
  std::vector<tessera::Key> deps = sums;
  g.add_task(tessera::Key("total"), tessera::TaskFunction([](tessera::TaskArgs args) {
               double total = 0;
               for (const auto* v : args) total += v->get<double>();
               return tessera::Value::of(total);
             }),
             std::span<const tessera::Key>(deps));
  return g;
}

double expected_total(int blocks) {
  double total = 0;
  for (int i = 0; i < blocks; ++i) total += 20000.0 * i;
  return total;
}

TEST(DiagnosticsMpi, TraceHoldsEveryTaskAndTransferOfTheRuns) {
  const int ranks = runtime().size(), me = runtime().rank();
  const int blocks = 24;
  const auto graph = ring_graph(blocks, ranks);
  const std::string dir = shared_dir("trace");

  // Off: the reference result; on: the same result, recorded.
  const double off = tessera::compute(graph, {tessera::Key("total")})[0].get<double>();
  tessera::Profile profile({.sample_interval = 0.01});
  std::int64_t tasks_run = 0, bytes_in = 0;
  double on = 0;
  for (int run = 0; run < 2; ++run) {
    tessera::ComputeStats stats;
    on = tessera::compute(graph, {tessera::Key("total")}, {.stats = &stats})[0].get<double>();
    tasks_run += static_cast<std::int64_t>(stats.tasks_run);
    bytes_in += static_cast<std::int64_t>(stats.bytes_transferred_in);
  }
  EXPECT_EQ(off, expected_total(blocks));
  EXPECT_EQ(on, off);
  const std::int64_t all_tasks = runtime().sum_over_ranks(tasks_run);
  const std::vector<std::string> bytes_in_by_rank = runtime().all_gather(std::to_string(bytes_in));

  profile.write_trace(dir + "/t.json");
  profile.write_report(dir + "/r.html");
  if (me != 0) return;

  EXPECT_EQ(static_cast<std::int64_t>(profile.tasks_recorded()), all_tasks);
  const auto trace = tessera::Json::parse(read_file(dir + "/t.json"));
  std::set<int> task_ranks;
  std::set<std::pair<std::int64_t, std::int64_t>> task_threads, named_threads;
  std::int64_t task_events = 0;
  std::map<std::int64_t, std::int64_t> received_bytes;  // by receiving rank
  std::map<std::int64_t, int> flow_starts, flow_ends;
  std::set<std::int64_t> memory_counter_ranks;
  for (const auto& e : trace["traceEvents"].items()) {
    const auto ph = e["ph"].as_string();
    const std::int64_t pid = e["pid"].as_int64();
    if (ph == "X" && e["cat"].as_string() == "task") {
      ++task_events;
      task_ranks.insert(static_cast<int>(pid));
      task_threads.insert({pid, e["tid"].as_int64()});
      EXPECT_GE(e["dur"].as_double(), 0.0);
      EXPECT_TRUE(e["args"].contains("key"));
    } else if (ph == "X" && e["cat"].as_string() == "transfer" && e["name"].as_string() == "receive") {
      received_bytes[pid] += e["args"]["bytes"].as_int64();
      EXPECT_EQ(e["args"]["to"].as_int64(), pid);
    } else if (ph == "M" && e["name"].as_string() == "thread_name") {
      named_threads.insert({pid, e["tid"].as_int64()});
    } else if (ph == "s") {
      ++flow_starts[e["id"].as_int64()];
    } else if (ph == "f") {
      ++flow_ends[e["id"].as_int64()];
    } else if (ph == "C" && e["name"].as_string() == "memory") {
      memory_counter_ranks.insert(pid);
    }
  }
  EXPECT_EQ(task_events, all_tasks);
  // Every rank ran tasks (each block is restricted to a rank), and every thread that did is named.
  EXPECT_EQ(static_cast<int>(task_ranks.size()), ranks);
  for (const auto& t : task_threads) EXPECT_TRUE(named_threads.count(t)) << t.first << "/" << t.second;
  EXPECT_EQ(static_cast<int>(memory_counter_ranks.size()), ranks);
  // Each rank's receive slices add up to the bytes its runs received, and every flow has both ends.
  for (int r = 0; r < ranks; ++r) {
    EXPECT_EQ(received_bytes[r], std::stoll(bytes_in_by_rank[static_cast<std::size_t>(r)])) << "rank " << r;
  }
  if (ranks > 1) {
    EXPECT_GT(flow_ends.size(), 0u);
  }
  EXPECT_EQ(flow_starts.size(), flow_ends.size());
  for (const auto& [id, n] : flow_ends) {
    EXPECT_EQ(n, 1) << "flow " << id;
    EXPECT_EQ(flow_starts[id], 1) << "flow " << id;
  }
  const std::string report = read_file(dir + "/r.html");
  EXPECT_NE(report.find("\"failure\":null"), std::string::npos);
  EXPECT_EQ(report.find("/*TESSERA_DATA*/"), std::string::npos);
  std::filesystem::copy_file(dir + "/r.html", "diagnostics_report.np" + std::to_string(ranks) + ".html",
                             std::filesystem::copy_options::overwrite_existing);
}

TEST(DiagnosticsMpi, ReportOfAFailedRunNamesTheTaskAndWhereItRan) {
  const int ranks = runtime().size(), me = runtime().rank();
  const int failing_rank = ranks - 1;
  tessera::Graph g;
  std::vector<tessera::Key> parts;
  for (int i = 0; i < 8; ++i) {
    const tessera::Key part("part", {i});
    g.annotate(g.add_task(part, [i] { return i * 10; }), {.restricted_to = i % ranks});
    parts.push_back(part);
  }
  const auto bad = g.add_task(tessera::Key("explode", {7}), [](int x) -> int {
    throw std::runtime_error("boom at " + std::to_string(x));
  }, tessera::ref<int>(tessera::Key("part", {3})));
  g.annotate(bad, {.restricted_to = failing_rank});
  parts.push_back(tessera::Key("explode", {7}));
  std::vector<tessera::Key> deps = parts;
  g.add_task(tessera::Key("all"), tessera::TaskFunction([](tessera::TaskArgs args) {
               return tessera::Value::of(static_cast<int>(args.size()));
             }),
             std::span<const tessera::Key>(deps));

  const std::string dir = shared_dir("failure");
  tessera::Profile profile({.sample_interval = 0});
  EXPECT_THROW(tessera::compute(g, {tessera::Key("all")}), tessera::TaskError);
  profile.write_report(dir + "/failed.html");
  profile.write_trace(dir + "/failed.json");
  if (me != 0) return;
  EXPECT_GE(profile.tasks_recorded(), 1u);
  const std::string report = read_file(dir + "/failed.html");
  const auto at = report.find("\"failure\":{");
  ASSERT_NE(at, std::string::npos);
  const auto failure = report.substr(at, 300);
  EXPECT_NE(failure.find("explode"), std::string::npos) << failure;
  EXPECT_NE(failure.find("\"rank\":" + std::to_string(failing_rank)), std::string::npos) << failure;
  EXPECT_NE(failure.find("boom at 30"), std::string::npos) << failure;
  const auto trace = tessera::Json::parse(read_file(dir + "/failed.json"));
  int failed_events = 0;
  for (const auto& e : trace["traceEvents"].items()) {
    if (e["ph"].as_string() == "X" && e["cat"].as_string() == "task,failed") {
      ++failed_events;
      EXPECT_EQ(e["pid"].as_int64(), failing_rank);
    }
  }
  EXPECT_EQ(failed_events, 1);
  std::filesystem::copy_file(dir + "/failed.html", "diagnostics_failed.np" + std::to_string(ranks) + ".html",
                             std::filesystem::copy_options::overwrite_existing);
}

TEST(DiagnosticsMpi, OneProfileAtATime) {
  tessera::Profile first({.sample_interval = 0});
  EXPECT_THROW(tessera::Profile second, tessera::InputError);
}

}  // namespace
