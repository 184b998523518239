#pragma once
// A graph that needs every chunk twice, with all of them alive in between,
// whatever the schedule: the standard deviation of n seeded chunks in two
// passes, (x - x.mean()).std() as in the W2 workload. Pass one sums each
// chunk; the mean needs every sum; pass two sums each chunk's squared
// deviations from that mean. The oracle does the same with plain loops over
// regenerated chunks, in the same order, so the results agree exactly.
#include <tessera/graph.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

namespace tessera::test {

inline std::vector<double> seeded_chunk(std::uint64_t seed, std::size_t length) {
  std::vector<double> out(length);
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& v : out) {  // splitmix64, to [0, 1)
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    v = static_cast<double>((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
  }
  return out;
}

inline double chunk_sum(const std::vector<double>& x) {
  double s = 0;
  for (double v : x) s += v;
  return s;
}

inline double chunk_squares(const std::vector<double>& x, double mean) {
  double s = 0;
  for (double v : x) s += (v - mean) * (v - mean);
  return s;
}

inline double add_all(TaskArgs args) {
  double s = 0;
  for (const Value* v : args) s += v->get<double>();
  return s;
}

inline Graph chunked_std(std::size_t chunks, std::size_t length) {
  Graph g;
  std::vector<Key> sums, squares;
  auto load = [](std::size_t i) { return Key("load", {static_cast<std::int64_t>(i)}); };
  for (std::size_t i = 0; i < chunks; ++i) {
    g.add_task(load(i), [i, length] { return seeded_chunk(i, length); });
    sums.emplace_back("sum", std::initializer_list<std::int64_t>{static_cast<std::int64_t>(i)});
    g.add_task(sums.back(), [](const std::vector<double>& x) { return chunk_sum(x); }, ref<std::vector<double>>(load(i)));
  }
  const double count = static_cast<double>(chunks * length);
  g.add_task(Key("mean"), TaskFunction([count](TaskArgs args) { return Value::of(add_all(args) / count); }), sums);
  for (std::size_t i = 0; i < chunks; ++i) {
    squares.emplace_back("squares", std::initializer_list<std::int64_t>{static_cast<std::int64_t>(i)});
    g.add_task(squares.back(), [](const std::vector<double>& x, double mean) { return chunk_squares(x, mean); },
               ref<std::vector<double>>(load(i)), ref<double>(Key("mean")));
  }
  g.add_task(Key("std"), TaskFunction([count](TaskArgs args) { return Value::of(std::sqrt(add_all(args) / count)); }),
             squares);
  return g;
}

inline double chunked_std_oracle(std::size_t chunks, std::size_t length) {
  double total = 0;
  for (std::size_t i = 0; i < chunks; ++i) total += chunk_sum(seeded_chunk(i, length));
  const double count = static_cast<double>(chunks * length);
  const double mean = total / count;
  double squares = 0;
  for (std::size_t i = 0; i < chunks; ++i) squares += chunk_squares(seeded_chunk(i, length), mean);
  return std::sqrt(squares / count);
}

}  // namespace tessera::test
