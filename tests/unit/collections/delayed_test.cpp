#include <tessera/delayed.hpp>

#include "delayed_files.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <numeric>
#include <unistd.h>

// External linkage, and the test is linked with ENABLE_EXPORTS: dladdr finds its name.
std::int64_t load_part(int i) { return 10 * i; }

namespace {
using namespace tessera;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class DelayedTest : public ::testing::TestWithParam<SchedulerKind> {
 protected:
  ComputeOptions on_param() const { return {.scheduler = GetParam(), .threads = 2}; }
};

int add(int a, int b) { return a + b; }

TEST_P(DelayedTest, SharedInputRunsOnce) {
  std::atomic<int> loads = 0;
  auto x = delayed([&] { ++loads; return 21; }, "load")();
  auto y = delayed(add, "add")(x, delayed([](int v) { return 2 * v; }, "double")(x));
  EXPECT_EQ(compute(y, on_param()), 63);  // oracle: 21 + 42, by hand
  EXPECT_EQ(loads, 1);
}

TEST_P(DelayedTest, KeysAreNameTokenAndCounter) {
  auto inc = delayed([](int v) { return v + 1; }, "inc");
  auto a = inc(1);
  auto b = inc(a);
  EXPECT_EQ(a.key().name().str(), "inc");
  EXPECT_EQ(b.key().index()[0], a.key().index()[0] + 1);
  EXPECT_THAT(a.key().str(), MatchesRegex("\\('inc-[0-9a-f]{8}', " + std::to_string(a.key().index()[0]) + "\\)"));
}

// Dask's tokenize: the key covers the function and its arguments, so ranks
// that pass different arguments build different keys (and the graph check
// catches them); the same arguments give the same token.
TEST_P(DelayedTest, KeysCoverLiteralArgumentsAndInputs) {
  auto load = delayed([](const std::string& path, int part) { return path.size() + part; }, "load");
  auto token = [](const auto& d) { return d.key().token(); };
  EXPECT_EQ(token(load(std::string("a.csv"), 1)), token(load(std::string("a.csv"), 1)));
  EXPECT_NE(token(load(std::string("a.csv"), 1)), token(load(std::string("b.csv"), 1)));
  EXPECT_NE(token(load(std::string("a.csv"), 1)), token(load(std::string("a.csv"), 2)));
  EXPECT_EQ(token(load("a.csv", 1)), token(load(std::string("a.csv"), 1)));  // a string literal is its text
  auto sum = delayed([](const std::vector<int>& v) { return v.size(); }, "sum");
  EXPECT_NE(token(sum(std::vector<int>{1, 2})), token(sum(std::vector<int>{2, 1})));
  std::map<std::string, std::vector<double>> m1{{"x", {1.0}}}, m2{{"x", {2.0}}};
  auto keys = delayed([](const std::map<std::string, std::vector<double>>& m) { return m.size(); }, "keys");
  EXPECT_NE(token(keys(m1)), token(keys(m2)));
  // A Delayed argument counts by its key: different inputs, different keys downstream.
  auto one = load(std::string("a.csv"), 1), two = load(std::string("b.csv"), 1);
  auto twice = delayed([](std::size_t v) { return 2 * v; }, "twice");
  EXPECT_NE(token(twice(one)), token(twice(two)));
  // Two functions under one name differ by type.
  auto other = delayed([](const std::string& path, int part) { return path.size() * part; }, "load");
  EXPECT_NE(token(other(std::string("a.csv"), 1)), token(load(std::string("a.csv"), 1)));
  EXPECT_EQ(compute(twice(one), on_param()), 12u);  // (5 + 1) * 2, by hand
}

// On one rank nothing has to move, so a result type without a Transport used
// to pass unnoticed until the program ran under mpirun: say so when the graph is built.
TEST(DelayedWarnings, AResultTypeThatCannotTravelIsReportedOnOneRank) {
  struct Opaque {
    std::function<int()> f;
  };
  auto make = delayed([] { return Opaque{[] { return 7; }}; }, "make_opaque");
  ::testing::internal::CaptureStderr();
  auto a = make();
  auto b = make();  // once per type
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(said, HasSubstr("('make_opaque-"));
  EXPECT_THAT(said, HasSubstr("Opaque, which cannot travel between ranks"));
  EXPECT_EQ(said.find("cannot travel"), said.rfind("cannot travel"));
  EXPECT_EQ(compute(a).f(), 7);  // still runs where nothing moves
  ::testing::internal::CaptureStderr();
  (void)delayed([](int v) { return v; }, "plain")(1);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

struct Scale {
  double by;
  double operator()(double v) const { return v * by; }
};

TEST(DelayedNames, KeysTakeTheFunctionsOwnNameWhenNoneIsGiven) {
  EXPECT_EQ(delayed(load_part)(1).key().name().str(), "load_part");
  EXPECT_EQ(delayed(&load_part)(1).key().name().str(), "load_part");
  EXPECT_EQ(delayed(Scale{2})(1.0).key().name().str(), "Scale");
  EXPECT_EQ(delayed([](int v) { return v; })(1).key().name().str(), "delayed");
  EXPECT_EQ(delayed(std::function<int(int)>([](int v) { return v; }))(1).key().name().str(), "delayed");
  EXPECT_EQ(delayed(load_part, "mine")(1).key().name().str(), "mine");
  EXPECT_EQ(compute(delayed(load_part)(4)), 40);
}

TEST(Token, ContentNotAddress) {
  EXPECT_EQ(token(std::string("abc")), token(std::string("abc")));
  EXPECT_NE(token(std::vector<double>{1, 2}), token(std::vector<double>{1, 2, 0}));
  EXPECT_NE(token(std::pair<int, int>{1, 2}), token(std::pair<int, int>{2, 1}));
  EXPECT_EQ(token(std::optional<int>{}), token(std::optional<int>{}));
  struct Padded {
    char c;
    double d;
  };
  EXPECT_FALSE(token(Padded{'a', 1.0}).has_value());  // padding bytes are not content
  int x = 0;
  EXPECT_FALSE(token(&x).has_value());  // addresses differ between ranks
  static_assert(Tokenizable<std::map<std::string, std::vector<std::int64_t>>>);
  static_assert(!Tokenizable<int*>);
}

TEST_P(DelayedTest, LambdasWithCaptures) {
  const std::vector<double> weights{0.5, 0.25, 0.25};
  const std::string label = "weighted";
  auto weigh = delayed([weights, label](const std::vector<double>& v) {
    double s = 0;
    for (std::size_t i = 0; i < v.size(); ++i) s += weights[i] * v[i];
    return label + "=" + std::to_string(s);
  }, "weigh");
  auto v = delayed_value(std::vector<double>{4, 8, 16});
  EXPECT_EQ(compute(weigh(v), on_param()), "weighted=" + std::to_string(0.5 * 4 + 0.25 * 8 + 0.25 * 16));
}

TEST_P(DelayedTest, VectorOfDelayedBecomesVectorOfValues) {
  auto square = delayed([](int v) { return v * v; }, "square");
  std::vector<Delayed<int>> parts;
  for (int i = 0; i < 100; ++i) parts.push_back(square(i));
  auto total = delayed([](const std::vector<int>& v) { return std::accumulate(v.begin(), v.end(), 0); }, "sum")(parts);
  EXPECT_EQ(compute(total, on_param()), 99 * 100 * 199 / 6);  // sum of squares, closed form
}

TEST_P(DelayedTest, ArrayTuplePairAndMapArguments) {
  auto num = delayed([](int v) { return v; }, "num");
  std::array<Delayed<int>, 3> arr{num(1), num(2), num(3)};
  auto from_array = delayed([](const std::array<int, 3>& a) { return a[0] * 100 + a[1] * 10 + a[2]; }, "arr")(arr);
  auto from_tuple = delayed([](const std::tuple<int, std::string, int>& t) {
    return std::get<1>(t) + std::to_string(std::get<0>(t) + std::get<2>(t));
  }, "tup")(std::make_tuple(num(4), std::string("sum="), num(5)));
  auto from_pair = delayed([](const std::pair<int, double>& p) { return p.first + p.second; }, "pair")(
      std::make_pair(num(6), 0.5));
  std::map<std::string, Delayed<int>> named{{"b", num(20)}, {"a", num(10)}};
  auto from_map = delayed([](const std::map<std::string, int>& m) {
    std::string out;
    for (const auto& [k, v] : m) out += k + ":" + std::to_string(v) + ";";
    return out;
  }, "map")(named);
  auto [a, t, p, m] = compute(on_param(), from_array, from_tuple, from_pair, from_map);
  EXPECT_EQ(a, 123);
  EXPECT_EQ(t, "sum=9");
  EXPECT_EQ(p, 6.5);
  EXPECT_EQ(m, "a:10;b:20;");
}

TEST_P(DelayedTest, NestedContainers) {
  auto num = delayed([](int v) { return v; }, "num");
  std::vector<std::vector<Delayed<int>>> grid;
  for (int r = 0; r < 4; ++r) {
    grid.emplace_back();
    for (int c = 0; c < 3; ++c) grid.back().push_back(num(r * 10 + c));
  }
  auto flat = delayed([](const std::vector<std::vector<int>>& g) {
    std::vector<int> out;
    for (const auto& row : g) out.insert(out.end(), row.begin(), row.end());
    return out;
  }, "flatten")(grid);
  EXPECT_EQ(compute(flat, on_param()), (std::vector<int>{0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32}));
}

TEST_P(DelayedTest, PlainArgumentsAreCapturedByValue) {
  std::vector<int> data{1, 2, 3};
  auto sum = delayed([](const std::vector<int>& v, int scale) { return scale * std::accumulate(v.begin(), v.end(), 0); },
                     "sum")(data, 10);
  data.push_back(100);  // after the call: the graph keeps what it was given
  EXPECT_EQ(compute(sum, on_param()), 60);
}

TEST_P(DelayedTest, NoutSplitsTuplesAndVectors) {
  auto min_max = delayed([](const std::vector<int>& v) {
    auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return std::make_tuple(*lo, *hi);
  }, "min_max");
  auto [lo, hi] = split(min_max(std::vector<int>{5, -2, 9, 3}));
  EXPECT_EQ(lo.key().name().str(), "getitem");
  auto [l, h] = compute(on_param(), lo, hi);
  EXPECT_EQ(l, -2);
  EXPECT_EQ(h, 9);
  auto parts = split(delayed([] { return std::vector<std::string>{"a", "b", "c"}; }, "letters")(), 3);
  EXPECT_EQ(compute(parts, on_param()), (std::vector<std::string>{"a", "b", "c"}));
  auto too_many = split(delayed([] { return std::vector<int>{1}; }, "one")(), 2);
  EXPECT_THAT([&] { compute(too_many[1], on_param()); },
              ::testing::ThrowsMessage<TaskError>(HasSubstr("at least 2 elements")));
}

TEST_P(DelayedTest, PersistKeepsTheResultAndDropsTheGraph) {
  std::atomic<int> runs = 0;
  auto expensive = delayed([&runs](int v) { ++runs; return v * 3; }, "expensive")(7);
  auto kept = persist(expensive, on_param());
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(kept.key(), expensive.key());
  EXPECT_EQ(kept.graph().size(), 1u);
  auto later = delayed([](int v) { return v + 1; }, "later")(kept);
  EXPECT_EQ(compute(later, on_param()), 22);
  EXPECT_EQ(compute(kept, on_param()), 21);
  EXPECT_EQ(runs, 1);
  auto many = persist(std::vector<Delayed<int>>{expensive, later}, on_param());
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(compute(many, on_param()), (std::vector<int>{21, 22}));
}

TEST_P(DelayedTest, VoidFunctionsGiveNone) {
  std::atomic<int> calls = 0;
  auto side_effect = delayed([&calls](int) { ++calls; }, "effect")(1);
  EXPECT_EQ(compute(side_effect, on_param()), None{});
  EXPECT_EQ(calls, 1);
}

TEST_P(DelayedTest, ErrorsPropagateWithTheKey) {
  auto parse = delayed([](const std::string& s) { return std::stoi(s); }, "parse");
  auto bad = parse(std::string("not a number"));
  auto total = delayed(add, "add")(parse(std::string("1")), bad);
  try {
    compute(total, on_param());
    FAIL() << "expected TaskError";
  } catch (const TaskError& e) {
    EXPECT_EQ(e.info().key, bad.key().str());
    EXPECT_EQ(e.info().original_type, "std::invalid_argument");
    EXPECT_THAT(e.what(), HasSubstr("stoi"));
  }
}

TEST_P(DelayedTest, LongChainsBuildRunAndFreeWithoutRecursion) {
  auto inc = delayed([](std::int64_t v) { return v + 1; }, "inc");
  auto x = inc(std::int64_t{0});
  for (int i = 1; i < 300'000; ++i) x = inc(x);
  EXPECT_EQ(compute(x, on_param()), 300'000);
  x = Delayed<std::int64_t>();  // releases the chain iteratively
}

TEST_P(DelayedTest, GraphAndVisualize) {
  auto inc = delayed([](int v) { return v + 1; }, "inc");
  auto y = delayed(add, "add")(inc(1), inc(2));
  Graph g = y.graph();
  EXPECT_EQ(g.size(), 3u);
  EXPECT_THAT(g.to_dot(), HasSubstr(y.key().str()));
  EXPECT_THAT(g.to_dot(), HasSubstr("('add-"));
}

TEST_P(DelayedTest, SeedExampleMatchesAPlainLoop) {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / ("tessera-delayed-" + std::to_string(::getpid()));
  auto paths = examples::write_demo_files(dir.string(), 5, 1000, 7);
  examples::Stats stats = compute(examples::summarize_files(paths), on_param());
  // Oracle: read every number back in one plain loop.
  double sum = 0, lo = 1e300, hi = -1e300;
  std::size_t count = 0;
  for (const auto& p : paths) {
    std::ifstream in(p);
    for (double v; in >> v; ++count) {
      sum += v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  fs::remove_all(dir);
  EXPECT_EQ(stats.count, 5000u);
  EXPECT_EQ(count, 5000u);
  EXPECT_NEAR(stats.mean(), sum / count, 1e-9);
  EXPECT_EQ(stats.min, lo);
  EXPECT_EQ(stats.max, hi);
}

TEST_P(DelayedTest, SeedExampleReportsABadLine) {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / ("tessera-bad-" + std::to_string(::getpid()));
  auto paths = examples::write_demo_files(dir.string(), 2, 10, 7);
  { std::ofstream(paths[1], std::ios::app) << "12.5x\n"; }
  try {
    compute(examples::summarize_files(paths), on_param());
    FAIL() << "expected TaskError";
  } catch (const TaskError& e) {
    EXPECT_THAT(e.what(), HasSubstr(paths[1] + " line 11"));
    EXPECT_THAT(e.what(), HasSubstr("\"12.5x\" is not a number"));
    EXPECT_THAT(e.info().key, HasSubstr("('load-"));
  }
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Local, DelayedTest, ::testing::Values(SchedulerKind::sync, SchedulerKind::threads),
                         [](const auto& info) { return info.param == SchedulerKind::sync ? "sync" : "threads"; });

}  // namespace
