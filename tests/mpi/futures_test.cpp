// The Futures API under mpiexec -n 1, 2 and 4.
#include <tessera/futures.hpp>
#include <tessera/runtime.hpp>

#include "delayed_files.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <numeric>
#include <thread>
#include <unistd.h>

// External linkage, exported (ENABLE_EXPORTS): futures' keys carry its name.
std::int64_t load_chunk(int i) { return 100 + i; }

namespace {
using namespace tessera;
using ::testing::HasSubstr;

Runtime& runtime() { return *Runtime::current(); }

// Whether every rank holds the same text.
bool same_on_every_rank(const std::string& text) {
  auto all = runtime().all_gather(text);
  return std::all_of(all.begin(), all.end(), [&](const std::string& t) { return t == all[0]; });
}

TEST(Futures, KeysCarryTheFunctionsNameAndATokenOfTheArguments) {
  auto a = submit(load_chunk, 3);
  auto b = submit(load_chunk, 4);
  EXPECT_EQ(a.key().name().str(), "load_chunk");
  EXPECT_THAT(a.key().str(), ::testing::MatchesRegex("\\('load_chunk-[0-9a-f]{8}', [0-9]+\\)"));
  EXPECT_NE(a.key().token(), b.key().token());
  EXPECT_EQ(submit_with({.name = "fetch"}, load_chunk, 3).key().name().str(), "fetch");
  EXPECT_EQ(a.result() + b.result(), 207);  // 103 + 104, by hand
}

TEST(Futures, SubmitAndResult) {
  auto f = submit([](int a, int b) { return a * b; }, 6, 7);
  EXPECT_EQ(f.result(), 42);
  EXPECT_TRUE(f.done());
}

TEST(Futures, FuturesAsArgumentsOfLaterSubmits) {
  auto a = submit([] { return std::vector<double>(1000, 1.5); });
  auto b = submit([](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }, a);
  auto c = submit([](double x, double y) { return x + y; }, b, b);
  EXPECT_EQ(c.result(), 3000.0);  // 2 * 1000 * 1.5
  EXPECT_EQ(a.result().size(), 1000u);
}

TEST(Futures, MapAndGatherMatchAPlainLoop) {
  std::vector<int> items(50);
  std::iota(items.begin(), items.end(), 0);
  auto squares = map([](int x) { return static_cast<long long>(x) * x; }, items);
  auto values = gather(squares);
  ASSERT_EQ(values.size(), items.size());
  for (int i = 0; i < 50; ++i) EXPECT_EQ(values[i], static_cast<long long>(i) * i);
}

TEST(Futures, AsCompletedGivesOneOrderOnEveryRank) {
  std::vector<int> items(24);
  std::iota(items.begin(), items.end(), 0);
  auto futures = map([](int x) {
    std::this_thread::sleep_for(std::chrono::milliseconds((x * 7) % 5));
    return x;
  }, items);
  std::string order;
  std::vector<int> seen;
  for (auto& f : as_completed(futures)) {
    EXPECT_TRUE(f.done());
    order += f.key().str() + ";";
    seen.push_back(f.result());
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, items);  // each once
  EXPECT_TRUE(same_on_every_rank(order)) << order;
}

TEST(Futures, WaitRunsEverything) {
  auto futures = map([](int x) { return x + 1; }, std::vector<int>{1, 2, 3});
  wait(futures);
  for (const auto& f : futures) EXPECT_TRUE(f.done());
  EXPECT_EQ(gather(futures), (std::vector<int>{2, 3, 4}));
}

TEST(Futures, ScatterPlacesAValueOnOneRankOrAll) {
  auto one = scatter(std::vector<int>(100, 7));
  auto all = scatter(std::vector<int>(10, 1), /*broadcast=*/true);
  const int held = one.state()->node->data.has_value() ? 1 : 0;
  EXPECT_EQ(runtime().sum_over_ranks(held), 1);
  EXPECT_TRUE(all.state()->node->data.has_value());
  auto total = submit([](const std::vector<int>& a, const std::vector<int>& b) {
    return std::accumulate(a.begin(), a.end(), 0) + std::accumulate(b.begin(), b.end(), 0);
  }, one, all);
  EXPECT_EQ(total.result(), 710);
}

TEST(Futures, AFailureFailsItsFutureAndDependentsOnly) {
  auto good = submit([] { return 1; });
  auto bad = submit([]() -> int { throw std::length_error("too long"); });
  auto after_bad = submit([](int x) { return x + 1; }, bad);
  EXPECT_EQ(good.result(), 1);
  EXPECT_THAT([&] { bad.result(); }, ::testing::ThrowsMessage<TaskError>(HasSubstr("too long")));
  try {
    after_bad.result();
    ADD_FAILURE() << "expected TaskError";
  } catch (const TaskError& e) {
    EXPECT_EQ(e.info().key, bad.key().str());  // the original failure, passed on
    EXPECT_EQ(e.info().original_type, "std::length_error");
    EXPECT_GE(e.info().rank, 0);  // the rank it failed on, also on one rank
  }
  std::vector<Future<int>> both{good, bad};
  EXPECT_THROW(gather(both), TaskError);
}

TEST(Futures, RetriesRunAFailingTaskAgain) {
  auto flaky = [](int fail_times) {
    return [fail_times](int x) {
      static thread_local int calls = 0;  // per executing thread: the retries run in place
      if (calls++ % (fail_times + 1) < fail_times) throw std::runtime_error("flaky");
      return x;
    };
  };
  auto recovered = submit_with({.retries = 2}, flaky(2), 5);
  EXPECT_EQ(recovered.result(), 5);
  auto gave_up = submit_with({.retries = 1}, flaky(2), 6);
  EXPECT_THAT([&] { gave_up.result(); }, ::testing::ThrowsMessage<TaskError>(HasSubstr("flaky")));
}

std::atomic<bool> gate_open{false};

TEST(Futures, CancelledFuturesAndTheirDependentsSayTheyWereCancelled) {
  // `a` waits behind a gate that opens only after the cancel, so it cannot have run.
  gate_open = false;
  auto gate = submit([] {
    for (int i = 0; i < 10'000 && !gate_open; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return 1;
  });
  auto a = submit([](int g) { return g + 1; }, gate);
  auto b = submit([](int x) { return x + 1; }, a);
  auto other = submit([] { return 10; });
  a.cancel();
  runtime().barrier();  // every rank has asked rank 0 to cancel before any gate opens
  gate_open = true;
  EXPECT_TRUE(a.cancelled());
  EXPECT_THROW(a.result(), CancelledError);
  EXPECT_THAT([&] { b.result(); }, ::testing::ThrowsMessage<CancelledError>(HasSubstr(a.key().str())));
  EXPECT_EQ(other.result(), 10);
  EXPECT_EQ(gate.result(), 1);
}

TEST(Futures, SubmittedTasksRunInTheBackground) {
  // Nothing here waits on the future: it must finish on its own, while this thread polls.
  auto f = submit([] { return 5; });
  bool finished = false;
  for (int i = 0; i < 10'000 && !finished; ++i) {
    finished = f.done();
    if (!finished) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(finished) << "the future did not run in the background within 10 s";
  EXPECT_EQ(runtime().sum_over_ranks(finished ? 1 : 0), runtime().size());
  EXPECT_EQ(f.result(), 5);
}

// Printing on rank 0 only is every MPI programmer's habit: result(),
// gather(), wait() and as_completed() on some ranks must not wait for the others.
TEST(Futures, ResultOnSomeRanksOnly) {
  const int last = runtime().size() - 1;
  // Large enough not to ride with the completion: rank 0 fetches it from the last rank.
  auto big = submit_with({.rank = last}, [](int n) { return std::vector<double>(n, 0.5); }, 5000);
  auto small = submit_with({.rank = last}, [] { return 7; });
  if (runtime().rank() == 0) {
    const auto v = big.result();
    EXPECT_EQ(v.size(), 5000u);
    EXPECT_EQ(std::accumulate(v.begin(), v.end(), 0.0), 2500.0);
    EXPECT_EQ(small.result(), 7);
  }
  auto parts = map([](int x) { return std::vector<int>(200, x); }, std::vector<int>{1, 2, 3, 4});
  if (runtime().rank() == last) {
    auto all = gather(parts);
    ASSERT_EQ(all.size(), 4u);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(all[i], std::vector<int>(200, i + 1));
  }
  if (runtime().rank() % 2 == 1) {
    wait(parts);
    int seen = 0;
    for (auto& f : as_completed(parts)) seen += f.result()[0];
    EXPECT_EQ(seen, 10);
  }
  // Every rank still gets the same value when every rank asks.
  EXPECT_TRUE(same_on_every_rank(std::to_string(big.result()[4999]) + "/" + std::to_string(small.result())));
}

// A submit made while an earlier future runs starts at once; as_completed
// yields each future as soon as it has finished. The slow one waits for a
// release that comes only after every rank has checked it is still running,
// so nothing here depends on how fast a loaded machine is.
std::atomic<bool> slow_released{false};

TEST(Futures, SubmitsDoNotWaitForEarlierWorkAndAsCompletedStreams) {
  slow_released = false;
  auto slow = submit([] {
    for (int i = 0; i < 60'000 && !slow_released; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return 1;
  });
  auto quick = submit([](int x) { return x + 1; }, 41);
  EXPECT_EQ(quick.result(), 42);
  EXPECT_FALSE(slow.done()) << "the quick future waited for the slow one";
  std::vector<Future<int>> both{slow, submit([] { return 2; })};
  std::vector<int> order;
  for (auto& f : as_completed(both)) {
    if (order.empty()) {
      EXPECT_FALSE(slow.done()) << "as_completed waited for every future";
      runtime().barrier();  // the futures' service has a communicator of its own
      slow_released = true;
    }
    order.push_back(f.result());
  }
  EXPECT_EQ(order, (std::vector<int>{2, 1}));
}

TEST(Futures, RankRestriction) {
  const int last = runtime().size() - 1;
  auto where = submit_with({.rank = last}, [] { return Runtime::current()->rank(); });
  EXPECT_EQ(where.result(), last);
}

TEST(Futures, SeedExampleMatchesDelayed) {
  namespace fs = std::filesystem;
  const std::string dir = runtime().broadcast(
      (fs::temp_directory_path() / ("tessera-futures-" + std::to_string(::getpid()))).string());
  if (runtime().rank() == 0) examples::write_demo_files(dir, 6, 2000, 5);
  runtime().barrier();
  auto paths = examples::demo_file_paths(dir, 6);
  auto with_futures = examples::summarize_files_with_futures(paths);
  auto with_delayed = compute(examples::summarize_files(paths));
  runtime().barrier();
  if (runtime().rank() == 0) fs::remove_all(dir);
  EXPECT_EQ(with_futures.count, 12000u);
  EXPECT_EQ(with_futures.count, with_delayed.count);
  EXPECT_DOUBLE_EQ(with_futures.sum, with_delayed.sum);
  EXPECT_EQ(with_futures.min, with_delayed.min);
  EXPECT_EQ(with_futures.max, with_delayed.max);
}

}  // namespace
