#pragma once
// A graph shaped like x - x.mean(axis=1) from a file, read twice: `n` first
// reads summed by a chain of tasks (computed work), then `n` second reads,
// each added to the total. A second read's only consumer waits for the
// total, so a scheduler that starts it earlier only holds its result.
#include <tessera/graph.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace tessera::test {

inline Graph reads_twice(std::int64_t n, std::vector<Key>& outputs) {
  Graph g;
  auto read = [](std::int64_t i) { return i; };
  Key total("total", {0});
  g.add_task(Key("read", {0}), read, std::int64_t{0});
  g.add_task(total, [](std::int64_t v) { return v; }, ref<std::int64_t>(Key("read", {0})));
  for (std::int64_t i = 1; i < n; ++i) {
    g.add_task(Key("read", {i}), read, i);
    Key next("total", {i});
    g.add_task(next, [](std::int64_t a, std::int64_t b) { return a + b; }, ref<std::int64_t>(total),
               ref<std::int64_t>(Key("read", {i})));
    total = next;
  }
  for (std::int64_t i = 0; i < n; ++i) {
    g.add_task(Key("again", {i}), read, i);
    outputs.emplace_back("centred", std::initializer_list<std::int64_t>{i});
    g.add_task(outputs.back(), [](std::int64_t a, std::int64_t t) { return a - t; }, ref<std::int64_t>(Key("again", {i})),
               ref<std::int64_t>(total));
  }
  return g;
}

/// Whether every second read finished after the total, in `order` (ComputeStats::completion_order).
inline bool second_reads_after_total(const std::vector<Key>& order, std::int64_t n) {
  const auto total = std::find(order.begin(), order.end(), Key("total", {n - 1}));
  if (total == order.end()) return false;
  for (std::int64_t i = 0; i < n; ++i) {
    if (std::find(total, order.end(), Key("again", {i})) == order.end()) return false;
  }
  return true;
}

}  // namespace tessera::test
