#include <tessera/compute.hpp>
#include <tessera/graph.hpp>

#include "graph/derived.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace {
using namespace tessera;
using ::testing::HasSubstr;

int add(int a, int b) { return a + b; }

// x=1; y=x+10; z=y+x; w unrelated.
Graph small_graph() {
  Graph g;
  g.add_data(Key("x"), 1);
  g.add_task(Key("y"), add, ref<int>(Key("x")), 10);
  g.add_task(Key("z"), add, ref<int>(Key("y")), ref<int>(Key("x")));
  g.add_task(Key("w"), [](int x) { return -x; }, ref<int>(Key("x")));
  return g;
}

TEST(Graph, TypedTasksTakeReferencesAndLiterals) {
  Graph g = small_graph();
  auto out = compute(g, {Key("z"), Key("w")});
  EXPECT_EQ(out[0].get<int>(), 12);
  EXPECT_EQ(out[1].get<int>(), -1);
}

TEST(Graph, ForwardReferencesResolveAtValidation) {
  Graph g;
  g.add_task(Key("b"), [](int a) { return a * 3; }, ref<int>(Key("a")));
  g.add_data(Key("a"), 5);
  EXPECT_EQ(compute(g, {Key("b")})[0].get<int>(), 15);
}

TEST(Graph, MissingKeyNamesBothKeys) {
  Graph g;
  g.add_task(Key("b", {0}), [](int a) { return a; }, ref<int>(Key("a", {3})));
  try {
    g.validate();
    FAIL() << "expected GraphError";
  } catch (const GraphError& e) {
    EXPECT_THAT(e.what(), HasSubstr("('b', 0)"));
    EXPECT_THAT(e.what(), HasSubstr("('a', 3)"));
    EXPECT_THAT(e.what(), HasSubstr("not in the graph"));
  }
}

TEST(Graph, CycleIsAnErrorThatListsTheCycle) {
  Graph g;
  g.add_data(Key("src"), 1);
  g.add_task(Key("a"), add, ref<int>(Key("src")), ref<int>(Key("c")));
  g.add_task(Key("b"), [](int a) { return a; }, ref<int>(Key("a")));
  g.add_task(Key("c"), [](int b) { return b; }, ref<int>(Key("b")));
  try {
    compute(g, {Key("c")});
    FAIL() << "expected GraphError";
  } catch (const GraphError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cycle"));
    EXPECT_THAT(e.what(), HasSubstr("'a'"));
    EXPECT_THAT(e.what(), HasSubstr("'b'"));
    EXPECT_THAT(e.what(), HasSubstr("'c'"));
    EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("'src'")));
  }
}

TEST(Graph, SelfDependencyIsACycle) {
  Graph g;
  g.add_task(Key("self"), [](int a) { return a; }, ref<int>(Key("self")));
  EXPECT_THROW(g.validate(), GraphError);
}

TEST(Graph, DuplicateKeyIsAnError) {
  Graph g;
  g.add_data(Key("x"), 1);
  g.add_data(Key("x"), 2);
  EXPECT_THAT([&] { g.validate(); }, ::testing::ThrowsMessage<GraphError>(HasSubstr("same key")));
}

TEST(Graph, FindOfAnAbsentKeyNamesIt) {
  Graph g = small_graph();
  EXPECT_THAT([&] { g.find(Key("nope", {1})); }, ::testing::ThrowsMessage<GraphError>(HasSubstr("('nope', 1)")));
}

TEST(Graph, CullKeepsOnlyWhatTheOutputsNeed) {
  Graph g = small_graph();
  Graph z = cull(g, std::vector<Key>{Key("z")});
  EXPECT_EQ(z.size(), 3u);
  EXPECT_TRUE(z.contains(Key("x")));
  EXPECT_TRUE(z.contains(Key("y")));
  EXPECT_FALSE(z.contains(Key("w")));
  Graph w = cull(g, std::vector<Key>{Key("w")});
  EXPECT_EQ(w.size(), 2u);
  EXPECT_EQ(compute(z, {Key("z")})[0].get<int>(), 12);
}

TEST(Graph, CulledTasksNeverRun) {
  int runs = 0;
  Graph g;
  g.add_data(Key("x"), 1);
  g.add_task(Key("used"), [](int x) { return x; }, ref<int>(Key("x")));
  g.add_task(Key("unused"), [&runs](int x) { ++runs; return x; }, ref<int>(Key("x")));
  compute(g, {Key("used")}, {.scheduler = SchedulerKind::sync});
  EXPECT_EQ(runs, 0);
}

// A chain: data -> c0 -> c1 -> ... -> c{n-1}, each adding its index.
Graph chain_graph(int n) {
  Graph g;
  g.add_data(Key("start"), 0);
  Key previous("start");
  for (int i = 0; i < n; ++i) {
    Key key("c", {i});
    g.add_task(key, [i](int v) { return v + i; }, ref<int>(previous));
    previous = key;
  }
  return g;
}

TEST(Graph, FuseLinearCollapsesAChainAndKeepsItsResult) {
  const int n = 50;
  Graph g = chain_graph(n);
  Key last("c", {n - 1});
  Graph fused = fuse_linear(g, std::vector<Key>{last});
  EXPECT_EQ(fused.size(), 2u);  // the data node and one fused task
  EXPECT_TRUE(fused.contains(last));
  ComputeStats stats;
  auto out = compute(g, {last}, {.fuse = true, .stats = &stats});
  EXPECT_EQ(out[0].get<int>(), n * (n - 1) / 2);  // oracle: 0 + 1 + ... + 49
  EXPECT_EQ(stats.tasks_run, 1u);
}

TEST(Graph, FuseKeepsRequestedKeysAndBranchPoints) {
  Graph g = chain_graph(10);
  // c4 is also an output: the chain splits around it.
  Graph fused = fuse_linear(g, std::vector<Key>{Key("c", {4}), Key("c", {9})});
  EXPECT_TRUE(fused.contains(Key("c", {4})));
  EXPECT_EQ(fused.size(), 3u);
  // A node with two dependents is never absorbed.
  Graph diamond;
  diamond.add_data(Key("x"), 2);
  diamond.add_task(Key("a"), [](int x) { return x + 1; }, ref<int>(Key("x")));
  diamond.add_task(Key("b"), [](int a) { return a * 2; }, ref<int>(Key("a")));
  diamond.add_task(Key("c"), [](int a) { return a * 3; }, ref<int>(Key("a")));
  diamond.add_task(Key("d"), add, ref<int>(Key("b")), ref<int>(Key("c")));
  Graph fd = fuse_linear(diamond, std::vector<Key>{Key("d")});
  EXPECT_EQ(fd.size(), 5u);
  EXPECT_EQ(compute(diamond, {Key("d")}, {.fuse = true})[0].get<int>(), 15);  // (2+1)*2 + (2+1)*3
}

TEST(Graph, AnErrorInsideAFusedTaskNamesTheInnerKey) {
  Graph g;
  g.add_data(Key("x"), 1);
  g.add_task(Key("a"), [](int x) { return x; }, ref<int>(Key("x")));
  g.add_task(Key("b"), [](int) -> int { throw std::domain_error("inner failure"); }, ref<int>(Key("a")));
  g.add_task(Key("c"), [](int b) { return b; }, ref<int>(Key("b")));
  ASSERT_EQ(fuse_linear(g, std::vector<Key>{Key("c")}).size(), 2u);
  try {
    compute(g, {Key("c")}, {.fuse = true});
    FAIL() << "expected TaskError";
  } catch (const TaskError& e) {
    EXPECT_EQ(e.info().key, "'b'");
    EXPECT_EQ(e.info().original_type, "std::domain_error");
    EXPECT_THAT(e.what(), HasSubstr("inner failure"));
  }
}

// A binary tree reduction over `leaves` data-producing tasks.
Graph tree_graph(int leaves, Key& root) {
  Graph g;
  std::vector<Key> level;
  for (int i = 0; i < leaves; ++i) {
    Key k("leaf", {i});
    g.add_task(k, [i] { return std::vector<double>(16, i); });
    level.push_back(k);
  }
  int depth = 0;
  while (level.size() > 1) {
    std::vector<Key> next;
    for (std::size_t i = 0; i < level.size(); i += 2) {
      if (i + 1 == level.size()) {
        next.push_back(level[i]);
        continue;
      }
      Key k("sum", {depth, static_cast<std::int64_t>(i / 2)});
      g.add_task(k, [](const std::vector<double>& a, const std::vector<double>& b) {
        std::vector<double> s(a.size());
        for (std::size_t j = 0; j < a.size(); ++j) s[j] = a[j] + b[j];
        return s;
      }, ref<std::vector<double>>(level[i]), ref<std::vector<double>>(level[i + 1]));
      next.push_back(k);
    }
    level = std::move(next);
    ++depth;
  }
  root = level[0];
  return g;
}

TEST(Graph, OrderIsTopologicalAndDepthFirst) {
  Key root;
  Graph g = tree_graph(8, root);
  g.validate();
  std::vector<NodeId> outputs{g.find(root)};
  auto position = order(g, outputs);
  for (NodeId id = 0; id < g.size(); ++id) {
    for (NodeId dep : g.deps(id)) EXPECT_LT(position[dep], position[id]) << g.node(id).key.str();
  }
  // Depth-first: the first pair of leaves is summed before the third leaf is made.
  EXPECT_LT(position[g.find(Key("sum", {0, 0}))], position[g.find(Key("leaf", {2}))]);
}

TEST(Graph, WideTreeReductionKeepsFewResultsAlive) {
  const int leaves = 4096;  // depth 12
  Key root;
  Graph g = tree_graph(leaves, root);
  ComputeStats stats;
  auto out = compute(g, {root}, {.scheduler = SchedulerKind::sync, .stats = &stats});
  EXPECT_EQ(out[0].get<std::vector<double>>()[0], leaves * (leaves - 1) / 2.0);  // 0 + ... + 4095
  // Depth-first: at most one pending partial sum per level, plus the two being combined.
  EXPECT_LE(stats.peak_live_results, 12u + 2u);
  EXPECT_GE(stats.peak_live_results, 2u);
  EXPECT_EQ(stats.peak_live_bytes % (16 * sizeof(double) + sizeof(std::vector<double>)), 0u);

  ComputeStats threaded;
  auto out2 = compute(g, {root}, {.scheduler = SchedulerKind::threads, .threads = 2, .stats = &threaded});
  EXPECT_EQ(out2[0].get<std::vector<double>>()[0], leaves * (leaves - 1) / 2.0);
  // Each worker goes depth-first on its own subtree; stealing adds a few.
  EXPECT_LE(threaded.peak_live_results, 4 * (12u + 2u));
}

TEST(Graph, HeavierBranchRunsFirst) {
  // d = f(small, big): the big branch's cone is computed before the small
  // input is made, so the small result does not wait through the big branch.
  Graph g;
  g.add_task(Key("small"), [] { return 1; });
  g.add_task(Key("big", {0}), [] { return 1; });
  for (int i = 1; i < 10; ++i) g.add_task(Key("big", {i}), [](int v) { return v + 1; }, ref<int>(Key("big", {i - 1})));
  g.add_task(Key("d"), add, ref<int>(Key("small")), ref<int>(Key("big", {9})));
  g.validate();
  std::vector<NodeId> outputs{g.find(Key("d"))};
  auto position = order(g, outputs);
  EXPECT_GT(position[g.find(Key("small"))], position[g.find(Key("big", {9}))]);
}

TEST(Graph, FingerprintFollowsStructure) {
  EXPECT_EQ(small_graph().fingerprint(), small_graph().fingerprint());
  Graph other = small_graph();
  other.add_data(Key("extra"), 0);
  EXPECT_NE(other.fingerprint(), small_graph().fingerprint());
}

TEST(Graph, RunsOfAGraphSeenBeforeReuseItsOrderEdgesAndTokens) {
  Graph g;
  g.add_data(Key("a"), 1);
  const NodeId b = g.add_task(Key("b"), [](const int& a) { return a + 1; }, KeyRef<int>(Key("a")));
  const NodeId outputs[] = {b};
  const auto order = tessera::graph::order_of(g, outputs);
  const auto dependents = tessera::graph::dependents_of(g);
  const auto tokens = tessera::graph::node_tokens_of(g);
  EXPECT_EQ(tessera::compute(g, {Key("b")})[0].get<int>(), 2);
  EXPECT_EQ(tessera::graph::order_of(g, outputs), order);  // the same objects: nothing rebuilt
  EXPECT_EQ(tessera::graph::dependents_of(g), dependents);
  EXPECT_EQ(tessera::graph::node_tokens_of(g), tokens);
  // Other outputs: another order. A graph that changed: everything anew.
  const NodeId other[] = {0};
  EXPECT_NE(tessera::graph::order_of(g, other), order);
  g.add_task(Key("c"), [](const int& v) { return v * 3; }, KeyRef<int>(Key("b")));
  EXPECT_NE(tessera::graph::dependents_of(g), dependents);
  EXPECT_EQ(tessera::graph::dependents_of(g)->of(b).size(), 1u);
  EXPECT_EQ(tessera::compute(g, {Key("c")})[0].get<int>(), 6);
  const auto tokens_before = tessera::graph::node_tokens_of(g);
  g.restrict_to_rank(b, 0);  // part of the fingerprint: the tokens are made again
  EXPECT_NE(tessera::graph::node_tokens_of(g), tokens_before);
}

TEST(Graph, VisualizeWritesDotNodeByNode) {
  Graph g = small_graph();
  std::string dot = g.to_dot();
  EXPECT_THAT(dot, HasSubstr("digraph"));
  EXPECT_THAT(dot, HasSubstr("label=\"'x'\", shape=box"));      // data
  EXPECT_THAT(dot, HasSubstr("label=\"'z'\", shape=ellipse"));  // task
  EXPECT_EQ(std::count(dot.begin(), dot.end(), '>'), 4);        // four edges
}

TEST(Graph, VisualizeSummarisesLargeGraphsByKeyName) {
  Key root;
  Graph g = tree_graph(4096, root);
  std::string dot = g.to_dot();
  EXPECT_THAT(dot, HasSubstr("4096 tasks"));       // the leaf group
  EXPECT_THAT(dot, HasSubstr("4095 tasks"));       // the sum group
  EXPECT_THAT(dot, HasSubstr("\"leaf\" -> \"sum\""));
  EXPECT_LT(dot.size(), 2000u);
}

TEST(Graph, VisualizeDrawsSvgWithGraphviz) {
  if (std::system("command -v dot >/dev/null 2>&1") != 0) GTEST_SKIP() << "graphviz is not installed";
  auto path = std::filesystem::temp_directory_path() / ("tessera-graph-" + std::to_string(::getpid()) + ".svg");
  small_graph().visualize(path.string());
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, HasSubstr("<svg"));
  EXPECT_THAT(text, HasSubstr("&#39;z&#39;"));
  std::filesystem::remove(path);
  EXPECT_THROW(small_graph().visualize("graph.bmp"), InputError);
}

}  // namespace
