// The Bag across ranks: partitions live where they were computed, groupby's
// items go straight to their part's rank, and every rank gets the same results.
#include <tessera/bag.hpp>
#include <tessera/runtime.hpp>

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace {

namespace db = tessera::bag;

std::vector<std::int64_t> numbers(std::int64_t n) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
  return v;
}

TEST(BagMpi, GroupbyThroughTheShuffleRunsPartsOnTheirRanks) {
  const auto b = db::from_sequence(numbers(5000), 16).map([](std::int64_t x) { return x * 3; });
  tessera::ComputeStats stats;
  const auto groups =
      b.groupby([](std::int64_t x) { return x % 37; }, 8).compute({.stats = &stats, .record_schedule = true});
  std::map<std::int64_t, std::vector<std::int64_t>> by_key(groups.begin(), groups.end());
  ASSERT_EQ(by_key.size(), 37u);
  for (const auto& [k, xs] : by_key) {
    std::vector<std::int64_t> want;
    for (std::int64_t i = 0; i < 5000; ++i) {
      if ((3 * i) % 37 == k) want.push_back(3 * i);
    }
    EXPECT_EQ(xs, want) << "key " << k;
  }
  const int ranks = tessera::Runtime::current()->size();
  if (ranks > 1) {  // the distributed scheduler: part j ran on rank j * ranks / 8
    int seen = 0;
    for (const auto& [key, rank] : stats.placement) {
      if (key.name().str() != "groupby") continue;
      EXPECT_EQ(rank, static_cast<int>(key.index()[0] * ranks / 8)) << key.str();
      ++seen;
    }
    EXPECT_EQ(seen, 8);
  }
}

TEST(BagMpi, ReductionsAndFrequenciesEqualADirectCount) {
  std::vector<std::string> words;
  for (int i = 0; i < 3000; ++i) words.push_back(std::string("w").append(std::to_string((i * 7) % 23)));
  const auto b = db::from_sequence(words, 12);
  const auto freq = b.frequencies().topk(3, [](const auto& p) { return p.second; }).compute();
  std::map<std::string, std::int64_t> direct;
  for (const auto& w : words) ++direct[w];
  ASSERT_EQ(freq.size(), 3u);
  for (const auto& [w, n] : freq) EXPECT_EQ(n, direct[w]) << w;
  EXPECT_EQ(b.count().compute(), 3000);
  EXPECT_EQ(b.distinct().count().compute(), 23);
  const auto kept = b.map([](const std::string& w) { return static_cast<std::int64_t>(w.size()); }).persist();
  std::int64_t total = 0;
  for (const auto& w : words) total += static_cast<std::int64_t>(w.size());
  EXPECT_EQ(kept.sum().compute(), total);
}

}  // namespace
