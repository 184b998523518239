#include "chunked_std.hpp"

#include <cmath>
#include <vector>

namespace tessera::examples {
namespace {

double add_all(TaskArgs args) {
  double s = 0;
  for (const Value* v : args) s += v->get<double>();
  return s;
}

Key indexed(const char* name, std::size_t i) { return Key(name, {static_cast<std::int64_t>(i)}); }

}  // namespace

Buffer seeded_chunk(std::uint64_t seed, std::size_t nbytes) {
  Buffer chunk(nbytes);
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (double& v : chunk.as<double>()) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    v = static_cast<double>((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
  }
  return chunk;
}

double chunk_sum(const Buffer& chunk) {
  double s = 0;
  for (double v : chunk.as<double>()) s += v;
  return s;
}

double chunk_squares(const Buffer& chunk, double mean) {
  double s = 0;
  for (double v : chunk.as<double>()) s += (v - mean) * (v - mean);
  return s;
}

Graph chunked_std(std::size_t chunks, std::size_t chunk_bytes) {
  Graph g;
  std::vector<Key> sums, squares;
  for (std::size_t i = 0; i < chunks; ++i) {
    g.add_task(indexed("load", i), [i, chunk_bytes] { return seeded_chunk(i, chunk_bytes); });
    sums.push_back(indexed("sum", i));
    g.add_task(sums.back(), [](const Buffer& x) { return chunk_sum(x); }, ref<Buffer>(indexed("load", i)));
  }
  const double count = static_cast<double>(chunks * (chunk_bytes / sizeof(double)));
  g.add_task(Key("mean"), TaskFunction([count](TaskArgs args) { return Value::of(add_all(args) / count); }), sums);
  for (std::size_t i = 0; i < chunks; ++i) {
    squares.push_back(indexed("squares", i));
    g.add_task(squares.back(), [](const Buffer& x, double mean) { return chunk_squares(x, mean); },
               ref<Buffer>(indexed("load", i)), ref<double>(Key("mean")));
  }
  g.add_task(Key("std"), TaskFunction([count](TaskArgs args) { return Value::of(std::sqrt(add_all(args) / count)); }),
             squares);
  return g;
}

}  // namespace tessera::examples
