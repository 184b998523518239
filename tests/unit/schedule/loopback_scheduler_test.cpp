// The distributed scheduler on 1 to 4 ranks that are threads of this process
// (LoopbackCluster): the run, placement, result transfers, errors and
// collective checks of lib/schedule without MPI, so that ThreadSanitizer
// sees every rank at once (scripts/setup.sh test runs it under TSan).
#include <tessera/diagnostics.hpp>
#include <tessera/error.hpp>
#include <tessera/exchange.hpp>
#include <tessera/graph.hpp>
#include <tessera/progress.hpp>

#include "schedule/distributed_executor.hpp"
#include "schedule/loopback_network.hpp"
#include "schedule/placement.hpp"
#include "schedule/root_gate.hpp"
#include "schedule/thread_pool.hpp"

#include "reads_twice.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <cstdint>
#include <exception>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {
using namespace tessera;
using schedule::DistributedOutputs;
using schedule::LoopbackCluster;
using ::testing::HasSubstr;

constexpr unsigned threads_per_rank = 2;

// What every rank builds: its graph and the outputs it asks for.
struct Job {
  Graph graph;
  std::vector<NodeId> outputs;
};

struct RankOutcome {
  DistributedOutputs out;
  ComputeStats stats;
  std::exception_ptr error;
};

// Runs `build(rank)`'s graph on every rank of `cluster` at once, one thread per rank.
std::vector<RankOutcome> run_on(LoopbackCluster& cluster, const std::function<Job(int)>& build, bool persist = false) {
  const int ranks = cluster.size();
  std::vector<RankOutcome> outcomes(static_cast<std::size_t>(ranks));
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      auto& outcome = outcomes[static_cast<std::size_t>(r)];
      try {
        schedule::ThreadPool pool(threads_per_rank + 1);  // its own: the ranks run at once
        Job job = build(r);
        job.graph.validate();
        const ComputeOptions options{.stats = &outcome.stats, .record_schedule = true, .progress = ProgressMode::off};
        outcome.out = schedule::run_distributed(job.graph, job.outputs, options, cluster.network(r), persist, &pool);
      } catch (...) {
        outcome.error = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  return outcomes;
}

std::vector<RankOutcome> run_on(int ranks, const std::function<Job(int)>& build, bool persist = false) {
  LoopbackCluster cluster(ranks, threads_per_rank);
  return run_on(cluster, build, persist);
}

std::string message_of(const std::exception_ptr& error) {
  if (!error) return "no error";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  }
}

void expect_no_errors(const std::vector<RankOutcome>& outcomes) {
  for (std::size_t r = 0; r < outcomes.size(); ++r) {
    ASSERT_FALSE(outcomes[r].error) << "rank " << r << ": " << message_of(outcomes[r].error);
  }
}

// x(0) = 1; x(i) = 3 x(i-1) + i mod 1000003. Step `renamed` is called y
// instead of x (a rank that built another graph).
Job chain(int steps, int renamed = -1) {
  Job job;
  auto name = [&](int i) { return Key(i == renamed ? "y" : "x", {i}); };
  job.graph.add_data(name(0), std::int64_t{1});
  for (int i = 1; i <= steps; ++i) {
    job.graph.add_task(
        name(i), [](std::int64_t prev, std::int64_t k) { return (3 * prev + k) % 1000003; },
        ref<std::int64_t>(name(i - 1)), std::int64_t{i});
  }
  job.outputs.push_back(static_cast<NodeId>(job.graph.size() - 1));
  return job;
}

// square(i) = i * i for i < leaves, summed pairwise up a binary tree.
Job map_and_tree_reduce(int leaves) {
  Job job;
  std::vector<Key> level;
  for (int i = 0; i < leaves; ++i) {
    level.emplace_back("square", std::initializer_list<std::int64_t>{i});
    job.graph.add_task(level.back(), [](std::int64_t v) { return v * v; }, std::int64_t{i});
  }
  for (int depth = 0; level.size() > 1; ++depth) {
    std::vector<Key> next;
    for (std::size_t i = 0; i < level.size(); i += 2) {
      next.emplace_back("sum", std::initializer_list<std::int64_t>{depth, static_cast<std::int64_t>(i / 2)});
      if (i + 1 < level.size()) {
        job.graph.add_task(next.back(), [](std::int64_t a, std::int64_t b) { return a + b; },
                           ref<std::int64_t>(level[i]), ref<std::int64_t>(level[i + 1]));
      } else {
        job.graph.add_task(next.back(), [](std::int64_t a) { return a; }, ref<std::int64_t>(level[i]));
      }
    }
    level = std::move(next);
  }
  job.outputs.push_back(static_cast<NodeId>(job.graph.size() - 1));
  return job;
}

class LoopbackScheduler : public ::testing::TestWithParam<int> {
 protected:
  int ranks() const { return GetParam(); }
};

TEST_P(LoopbackScheduler, ChainMatchesAPlainLoop) {
  std::int64_t expected = 1;
  for (int i = 1; i <= 60; ++i) expected = (3 * expected + i) % 1000003;
  auto outcomes = run_on(ranks(), [](int) { return chain(60); });
  expect_no_errors(outcomes);
  for (const auto& o : outcomes) {
    ASSERT_EQ(o.out.values.size(), 1u);
    EXPECT_EQ(o.out.values[0].get<std::int64_t>(), expected);
  }
  std::size_t tasks = 0;
  for (const auto& o : outcomes) tasks += o.stats.tasks_run;
  EXPECT_EQ(tasks, 60u);  // each task ran once, somewhere
}

TEST_P(LoopbackScheduler, WideMapAndTreeReduce) {
  // 0^2 + 1^2 + ... + 63^2 = 63 * 64 * 127 / 6
  auto outcomes = run_on(ranks(), [](int) { return map_and_tree_reduce(64); });
  expect_no_errors(outcomes);
  for (const auto& o : outcomes) EXPECT_EQ(o.out.values.at(0).get<std::int64_t>(), 85344);
  std::size_t tasks = 0;
  for (const auto& o : outcomes) tasks += o.stats.tasks_run;
  EXPECT_EQ(tasks, 64u + 63u);
}

// The gate on its own: which roots wait, the order a forced one comes out in,
// and that a root let go is never parked again (the scheduler asks again).
// A task whose inputs are 8 MiB or more on a rank without a free slot waits
// for one there (the decision names the rank) rather than go to a busy
// rank; an idle rank takes it; small inputs go to the free rank as before.
TEST(Placement, LargeInputsWaitForTheirFullRankUnlessAnotherIdles) {
  Graph g;
  std::vector<NodeId> inputs, tasks;
  for (int i = 0; i < 12; ++i) {
    // The inputs are computed results (a task over only literals counts as a root, placed apart).
    inputs.push_back(g.add_resolved(Key("make", {i}), TaskFunction([](TaskArgs) { return Value::of(1); }), Value(), {}));
    tasks.push_back(g.add_resolved(Key("use", {i}), TaskFunction([](TaskArgs) { return Value::of(1); }), Value(),
                                   std::span<const NodeId>(&inputs.back(), 1)));
  }
  std::vector<std::vector<int>> holders(g.size());
  std::vector<std::uint64_t> nbytes(g.size(), 0);
  for (int i = 0; i < 12; ++i) {
    holders[inputs[static_cast<std::size_t>(i)]] = {0};
    nbytes[inputs[static_cast<std::size_t>(i)]] = i < 11 ? 16u << 20 : 1u << 20;  // the last one small
  }
  schedule::Placement p(g, {1, 1});  // 8 slots a rank
  using Action = schedule::Placement::Decision::Action;
  auto decide = [&](int i) { return p.decide(tasks[static_cast<std::size_t>(i)], holders, nbytes); };
  for (int i = 0; i < 8; ++i) {
    const auto d = decide(i);
    ASSERT_EQ(d.action, Action::run);
    EXPECT_EQ(d.rank, 0) << "where its input is, " << i;
    p.assigned(0);
  }
  auto d = decide(8);  // rank 0 is full and rank 1 idles: rank 1 takes it
  ASSERT_EQ(d.action, Action::run);
  EXPECT_EQ(d.rank, 1);
  p.assigned(1);
  d = decide(9);  // rank 1 is busy now: wait for rank 0
  EXPECT_EQ(d.action, Action::defer);
  EXPECT_EQ(d.rank, 0);
  d = decide(11);  // 1 MiB of input: not worth waiting for
  ASSERT_EQ(d.action, Action::run);
  EXPECT_EQ(d.rank, 1);
  p.finished(0, tasks[0], 8);
  d = decide(9);  // a slot came free where its input is
  ASSERT_EQ(d.action, Action::run);
  EXPECT_EQ(d.rank, 0);
}

TEST(RootGate, ParksSecondReadsAndLetsThemGoWhenTheTotalIsDone) {
  const std::int64_t n = 3;
  std::vector<Key> outputs;
  Graph g = test::reads_twice(n, outputs);
  g.validate();  // resolves the dependencies' keys
  const graph::Dependents dependents(g);
  schedule::RootGate gate(g, dependents);
  ASSERT_TRUE(gate.active());
  EXPECT_FALSE(gate.premature(g.find(Key("read", {0}))));  // total 0 needs nothing else
  for (std::int64_t i = 0; i < n; ++i) {
    // A fold's step i waits for step i - 1: its read comes just before it.
    if (i > 0) {
      EXPECT_TRUE(gate.premature(g.find(Key("read", {i})))) << i;
    }
    EXPECT_TRUE(gate.premature(g.find(Key("again", {i})))) << i;
    gate.park(g.find(Key("again", {i})), static_cast<std::uint32_t>(10 - i));
  }
  // Forced (nothing else runs): the best priority first, then it passes the gate.
  const auto forced = gate.take_best();
  ASSERT_TRUE(forced.has_value());
  EXPECT_EQ(*forced, g.find(Key("again", {2})));
  EXPECT_FALSE(gate.premature(*forced));
  std::vector<NodeId> released;
  for (std::int64_t i = 0; i + 1 < n; ++i) gate.finished(g.find(Key("total", {i})), released);
  EXPECT_TRUE(released.empty());  // the consumers wait for the last total
  gate.finished(g.find(Key("read", {0})), released);  // a root finishing frees nothing
  EXPECT_TRUE(released.empty());
  gate.finished(g.find(Key("total", {n - 1})), released);
  EXPECT_THAT(released, ::testing::UnorderedElementsAre(g.find(Key("again", {0})), g.find(Key("again", {1}))));
  EXPECT_FALSE(gate.any_parked());
  EXPECT_FALSE(gate.take_best().has_value());
}

// Rank 0 holds back a root whose consumers all wait for computed work.
TEST_P(LoopbackScheduler, SecondReadsWaitForTheTotalTheyAreCentredOn) {
  const std::int64_t n = 40;
  auto outcomes = run_on(ranks(), [n](int) {
    Job job;
    std::vector<Key> outputs;
    job.graph = test::reads_twice(n, outputs);
    for (const Key& k : outputs) job.outputs.push_back(job.graph.find(k));
    return job;
  });
  expect_no_errors(outcomes);
  for (const auto& o : outcomes) {
    ASSERT_EQ(o.out.values.size(), static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) EXPECT_EQ(o.out.values[static_cast<std::size_t>(i)].get<std::int64_t>(), i - n * (n - 1) / 2);
  }
  EXPECT_TRUE(test::second_reads_after_total(outcomes[0].stats.completion_order, n));
}

TEST_P(LoopbackScheduler, RestrictedTasksRunOnTheirRank) {
  const int n = ranks();
  auto build = [n](int) {
    Job job;
    for (int i = 0; i < 3 * n; ++i) {
      const NodeId id = job.graph.add_task(Key("pinned", {i}), [](std::int64_t v) { return v + 100; }, std::int64_t{i});
      job.graph.restrict_to_rank(id, i % n);
      job.outputs.push_back(id);
    }
    return job;
  };
  auto outcomes = run_on(n, build);
  expect_no_errors(outcomes);
  for (int r = 0; r < n; ++r) {
    const auto& o = outcomes[static_cast<std::size_t>(r)];
    ASSERT_EQ(o.stats.placement.size(), static_cast<std::size_t>(3 * n)) << "rank " << r;
    for (const auto& [key, rank] : o.stats.placement) {
      EXPECT_EQ(rank, static_cast<int>(key.index()[0] % n)) << key.str() << " as rank " << r << " saw it";
    }
    EXPECT_EQ(o.stats.tasks_run, 3u) << "rank " << r;  // its own three, none of the others'
    for (int i = 0; i < 3 * n; ++i) EXPECT_EQ(o.out.values.at(static_cast<std::size_t>(i)).get<std::int64_t>(), i + 100);
  }
}

// Blocks of 1,000 doubles (8,000 bytes, above the 4,096-byte inline limit),
// made on every rank and summed on the last one: they travel as data messages,
// and the output travels by broadcast.
Job large_blocks(int ranks) {
  Job job;
  std::vector<Key> blocks;
  for (int i = 0; i < 2 * ranks; ++i) {
    blocks.emplace_back("block", std::initializer_list<std::int64_t>{i});
    const NodeId id = job.graph.add_task(
        blocks.back(), [](std::int64_t v) { return std::vector<double>(1000, static_cast<double>(v)); },
        std::int64_t{i});
    job.graph.restrict_to_rank(id, i % ranks);
  }
  auto sum = [](TaskArgs args) {
    std::vector<double> total(1000, 0.0);
    for (std::size_t a = 0; a < args.size(); ++a) {
      const auto& block = args[a]->get<std::vector<double>>();
      for (std::size_t j = 0; j < total.size(); ++j) total[j] += block[j] * static_cast<double>(j);
    }
    return Value::of(std::move(total));
  };
  const NodeId total = job.graph.add_task(Key("total"), TaskFunction(sum), std::span<const Key>(blocks));
  job.graph.restrict_to_rank(total, ranks - 1);
  job.outputs.push_back(total);
  return job;
}

TEST_P(LoopbackScheduler, LargeResultsTravelAsValues) {
  const int n = ranks();
  auto outcomes = run_on(n, [n](int) { return large_blocks(n); });
  expect_no_errors(outcomes);
  const double blocks_sum = static_cast<double>((2 * n - 1) * (2 * n)) / 2;  // 0 + 1 + ... + (2n - 1)
  for (int r = 0; r < n; ++r) {
    const auto& o = outcomes[static_cast<std::size_t>(r)];
    const auto& total = o.out.values.at(0).get<std::vector<double>>();
    ASSERT_EQ(total.size(), 1000u);
    for (std::size_t j = 0; j < total.size(); j += 97) EXPECT_EQ(total[j], blocks_sum * static_cast<double>(j)) << j;
  }
  if (n > 1) {
    // The summing rank received the other ranks' 2 (n - 1) blocks; every
    // other rank received the total.
    const auto& last = outcomes[static_cast<std::size_t>(n - 1)].stats;
    EXPECT_EQ(last.bytes_received, 2u * (n - 1) * 8000u);
    EXPECT_EQ(outcomes[0].stats.bytes_received, 8000u);
  }
}

// Task and transfer records while the ranks (threads here, under ThreadSanitizer
// in CI) run: every task is recorded once, and what the receivers recorded is
// what their runs received.
TEST_P(LoopbackScheduler, ProfileRecordsEveryTaskAndTransfer) {
  const int n = ranks();
  Profile profile({.sample_interval = 0.001});
  auto outcomes = run_on(n, [n](int) { return large_blocks(n); });
  expect_no_errors(outcomes);
  std::size_t tasks = 0;
  for (const auto& o : outcomes) tasks += o.stats.tasks_run;
  const std::string path = (std::filesystem::temp_directory_path() / "tessera-loopback-profile.json").string();
  profile.write_trace(path);  // one process: the records of every rank are here
  EXPECT_EQ(profile.tasks_recorded(), tasks);
  std::uint64_t received = 0;
  for (const auto& o : outcomes) received += o.stats.bytes_transferred_in;
  if (n > 1) {
    EXPECT_GT(profile.transfers_recorded(), 0u);
  }
  std::ifstream in(path);
  std::string trace((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::uint64_t receive_bytes = 0;
  for (std::size_t at = trace.find("\"name\":\"receive\""); at != std::string::npos;
       at = trace.find("\"name\":\"receive\"", at + 1)) {
    const auto bytes = trace.find("\"bytes\":", at);
    receive_bytes += std::stoull(trace.substr(bytes + 8));
  }
  EXPECT_EQ(receive_bytes, received);
  std::filesystem::remove(path);
}

TEST_P(LoopbackScheduler, PersistedOutputsStayOnTheirHolders) {
  const int n = ranks();
  auto build = [n](int) {
    Job job;
    for (int i = 0; i < 2 * n; ++i) {
      const NodeId id = job.graph.add_task(
          Key("kept", {i}), [](std::int64_t v) { return std::vector<std::int64_t>(600, v); }, std::int64_t{i});
      job.graph.restrict_to_rank(id, (i + 1) % n);
      job.outputs.push_back(id);
    }
    return job;
  };
  auto outcomes = run_on(n, build, /*persist=*/true);
  expect_no_errors(outcomes);
  for (int r = 0; r < n; ++r) {
    const auto& persisted = outcomes[static_cast<std::size_t>(r)].out.persisted;
    ASSERT_EQ(persisted.size(), static_cast<std::size_t>(2 * n));
    for (int i = 0; i < 2 * n; ++i) {
      const auto& p = persisted[static_cast<std::size_t>(i)];
      EXPECT_EQ(p.holder, (i + 1) % n) << i;
      EXPECT_EQ(p.nbytes, persisted[static_cast<std::size_t>(i)].nbytes);
      EXPECT_GE(p.nbytes, 600u * sizeof(std::int64_t));
      if (p.holder == r) {
        ASSERT_TRUE(p.value) << "rank " << r << " holds output " << i;
        const Value v = p.value.get();
        EXPECT_EQ(v.get<std::vector<std::int64_t>>(), std::vector<std::int64_t>(600, i));
      } else {
        EXPECT_FALSE(p.value) << "rank " << r << " does not hold output " << i;
      }
    }
  }
}

// Many tasks over large inputs that all live on rank 0: they wait for rank
// 0's slots (set aside per rank, not looked at again every round) instead of
// pulling their inputs to busy ranks; the run completes with every result.
TEST_P(LoopbackScheduler, TasksOverLargeInputsOnOneRankWaitForItsSlots) {
  const int n = ranks();
  constexpr int tasks = 60;
  auto build = [](int rank) {
    Job job;
    std::vector<NodeId> inputs;
    for (int i = 0; i < tasks; ++i) {  // 16 MiB each as placement sees them
      inputs.push_back(job.graph.add_persisted(Key("big", {i}), rank == 0 ? Value::of(std::int64_t{i}) : Value(), 0,
                                               16u << 20));
    }
    for (int i = 0; i < tasks; ++i) {
      job.outputs.push_back(job.graph.add_resolved(
          Key("use", {i}), TaskFunction([](TaskArgs args) { return Value::of(args[0]->get<std::int64_t>() * 3); }),
          Value(), std::span<const NodeId>(&inputs[static_cast<std::size_t>(i)], 1)));
    }
    return job;
  };
  auto outcomes = run_on(n, build);
  expect_no_errors(outcomes);
  for (int r = 0; r < n; ++r) {
    const auto& values = outcomes[static_cast<std::size_t>(r)].out.values;
    ASSERT_EQ(values.size(), static_cast<std::size_t>(tasks));
    for (int i = 0; i < tasks; ++i) EXPECT_EQ(values[static_cast<std::size_t>(i)].get<std::int64_t>(), 3 * i) << r;
  }
  int on_holder = 0;
  for (const auto& [key, rank] : outcomes[0].stats.placement) on_holder += key.str().rfind("('use", 0) == 0 && rank == 0;
  // The first round fills the holder's slots (8 a thread) with tasks over its
  // inputs; after that, how many more it runs depends on how often the other
  // ranks idle (an idle rank takes a waiting task), which is timing.
  EXPECT_GE(on_holder, static_cast<int>(8 * threads_per_rank)) << "the holder's slots went to its own inputs";
}

// A shuffle: `senders` tasks each send value v (0 <= v < 1000, 1000 values of
// 8 bytes each) to part v % parts; part j's reader sums what it got, in
// sender order, and says where it ran.
Job shuffle_job(int senders, std::int64_t parts) {
  Job job;
  for (int s = 0; s < senders; ++s) {
    job.graph.add_task(Key("send", {s}), [s, senders, parts](std::int64_t) {
      std::vector<std::vector<std::int64_t>> by_part(static_cast<std::size_t>(parts));
      for (std::int64_t v = s; v < 1000; v += senders) by_part[static_cast<std::size_t>(v % parts)].push_back(v);
      Shards shards;
      for (std::int64_t p = 0; p < parts; ++p) {
        if (!by_part[static_cast<std::size_t>(p)].empty()) shards.add(p, Value::of(std::move(by_part[static_cast<std::size_t>(p)])));
      }
      return shards;
    }, std::int64_t{s});
  }
  std::vector<NodeId> ids(static_cast<std::size_t>(senders));
  std::iota(ids.begin(), ids.end(), NodeId{0});
  const NodeId exchange = job.graph.add_exchange(Key("exchange"), ids, parts);
  for (std::int64_t j = 0; j < parts; ++j) {
    const NodeId reader = job.graph.add_resolved(
        Key("read", {j}), TaskFunction([j](TaskArgs args) {
          std::vector<std::int64_t> got;  // every value of part j, in sender order
          for (const Value& piece : args[0]->get<ExchangeInboxPtr>()->take(j)) {
            const auto& v = piece.get<std::vector<std::int64_t>>();
            got.insert(got.end(), v.begin(), v.end());
          }
          return Value::of(std::move(got));
        }),
        Value(), std::span<const NodeId>(&exchange, 1));
    job.graph.reads_exchange_part(reader, j);
    job.outputs.push_back(reader);
  }
  return job;
}

TEST_P(LoopbackScheduler, ExchangeSendsPiecesStraightToTheirPartsRanks) {
  const int n = ranks();
  const int senders = 7;
  const std::int64_t parts = 5;
  auto outcomes = run_on(n, [&](int) { return shuffle_job(senders, parts); });
  expect_no_errors(outcomes);
  for (int r = 0; r < n; ++r) {
    const auto& o = outcomes[static_cast<std::size_t>(r)];
    for (std::int64_t j = 0; j < parts; ++j) {
      std::vector<std::int64_t> want;  // sender 0's values first, then sender 1's, ...
      for (int s = 0; s < senders; ++s) {
        for (std::int64_t v = s; v < 1000; v += senders) {
          if (v % parts == j) want.push_back(v);
        }
      }
      EXPECT_EQ(o.out.values.at(static_cast<std::size_t>(j)).get<std::vector<std::int64_t>>(), want) << "part " << j;
    }
  }
  // Part j is read on rank j * ranks / parts, and the exchange ran on every rank.
  for (const auto& [key, rank] : outcomes[0].stats.placement) {
    if (key.name().str() == "read") {
      EXPECT_EQ(rank, static_cast<int>(key.index()[0] * n / parts)) << key.str();
    }
  }
  if (n > 1) {
    // No rank received more than the pieces of its parts plus the outputs it
    // gets at the end: nothing went through rank 0 on the way.
    std::uint64_t total = 0;
    for (const auto& o : outcomes) total += o.stats.bytes_received;
    EXPECT_GT(total, 0u);
    EXPECT_LT(outcomes[0].stats.bytes_received, 1000u * 8u * 2u);
  }
}

TEST_P(LoopbackScheduler, TaskErrorOnEveryRankThenTheNextRunWorks) {
  const int n = ranks();
  LoopbackCluster cluster(n, threads_per_rank);
  auto failing = [n](int) {
    Job job = map_and_tree_reduce(16);
    const NodeId bad = job.graph.add_task(
        Key("explode", {7}), [](std::int64_t) -> std::int64_t { throw std::invalid_argument("boom"); },
        std::int64_t{1});
    job.graph.restrict_to_rank(bad, n - 1);
    job.graph.add_task(Key("after"), [](std::int64_t v, std::int64_t w) { return v + w; },
                       ref<std::int64_t>(Key("explode", {7})), ref<std::int64_t>(Key("sum", {3, 0})));
    job.outputs = {static_cast<NodeId>(job.graph.size() - 1)};
    return job;
  };
  auto outcomes = run_on(cluster, failing);
  for (int r = 0; r < n; ++r) {
    const auto& error = outcomes[static_cast<std::size_t>(r)].error;
    ASSERT_TRUE(error) << "rank " << r << " did not throw";
    try {
      std::rethrow_exception(error);
    } catch (const TaskError& e) {
      EXPECT_EQ(e.info().key, Key("explode", {7}).str()) << "rank " << r;
      EXPECT_EQ(e.info().message, "boom");
      EXPECT_EQ(e.info().rank, n - 1);
      EXPECT_THAT(e.what(), HasSubstr("explode"));
    } catch (const std::exception& e) {
      ADD_FAILURE() << "rank " << r << " threw something else: " << e.what();
    }
  }
  // What the failed run left in flight is gone: the same ranks compute again.
  auto again = run_on(cluster, [](int) { return map_and_tree_reduce(64); });
  expect_no_errors(again);
  for (const auto& o : again) EXPECT_EQ(o.out.values.at(0).get<std::int64_t>(), 85344);
}

TEST_P(LoopbackScheduler, GraphMismatchThrowsOnEveryRank) {
  const int n = ranks();
  if (n == 1) GTEST_SKIP() << "one rank always agrees with itself";
  LoopbackCluster cluster(n, threads_per_rank);
  // The last rank names step 5 differently.
  auto outcomes = run_on(cluster, [n](int rank) { return chain(10, rank == n - 1 ? 5 : -1); });
  for (int r = 0; r < n; ++r) {
    const auto& error = outcomes[static_cast<std::size_t>(r)].error;
    ASSERT_TRUE(error) << "rank " << r << " did not throw";
    try {
      std::rethrow_exception(error);
    } catch (const GraphMismatch& e) {
      EXPECT_THAT(e.what(), HasSubstr("task #5 is " + Key("x", {5}).str() + " on rank 0 but " + Key("y", {5}).str() +
                                      " on rank " + std::to_string(n - 1)));
      EXPECT_EQ(e.info().kind, ErrorKind::mismatch);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "rank " << r << " threw something else: " << e.what();
    }
  }
  // The ranks still meet at the next call.
  auto again = run_on(cluster, [](int) { return chain(10); });
  expect_no_errors(again);
}

// Rank 0's progress display reads the run (tasks done, every rank's memory)
// from its own thread while the run goes on: long enough to be drawn.
TEST(LoopbackSchedulerProgress, DisplayReadsTheRunWhileItGoes) {
  const int n = 3;
  LoopbackCluster cluster(n, threads_per_rank);
  std::vector<std::int64_t> sums(n, 0);
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) {
    threads.emplace_back([&, r] {
      schedule::ThreadPool pool(threads_per_rank + 1);
      Job job;
      std::vector<Key> parts;
      for (int i = 0; i < 120; ++i) {
        parts.emplace_back("slow", std::initializer_list<std::int64_t>{i});
        job.graph.add_task(parts.back(), [](std::int64_t v) {
          std::this_thread::sleep_for(std::chrono::milliseconds(40));
          return v;
        }, std::int64_t{i});
      }
      auto add = [](TaskArgs args) {
        std::int64_t total = 0;
        for (const Value* v : args) total += v->get<std::int64_t>();
        return Value::of(total);
      };
      job.outputs.push_back(job.graph.add_task(Key("all"), TaskFunction(add), std::span<const Key>(parts)));
      job.graph.validate();
      const ComputeOptions options{.progress = ProgressMode::always};
      try {
        auto out = schedule::run_distributed(job.graph, job.outputs, options, cluster.network(r), false, &pool);
        sums[static_cast<std::size_t>(r)] = out.values.at(0).get<std::int64_t>();
      } catch (const std::exception& e) {
        ADD_FAILURE() << "rank " << r << ": " << e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int r = 0; r < n; ++r) EXPECT_EQ(sums[static_cast<std::size_t>(r)], 119 * 120 / 2) << "rank " << r;
}

INSTANTIATE_TEST_SUITE_P(Ranks, LoopbackScheduler, ::testing::Values(1, 2, 3, 4),
                         [](const auto& info) { return std::to_string(info.param) + "_ranks"; });

}  // namespace
