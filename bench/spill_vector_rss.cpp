// The spill bench's shape (seeded chunks, a two-pass standard deviation that
// needs each chunk twice) with std::vector<double> chunks instead of Buffers:
// values whose storage comes from malloc, not from Buffer's mapped blocks.
// Prints the process's peak RSS next to the tracked peak.
//   spill_vector_rss CHUNK TOTAL LIMIT        e.g. 16MiB 256MiB 64MiB
#include <tessera/compute.hpp>
#include <tessera/graph.hpp>
#include <tessera/memory.hpp>
#include <tessera/size.hpp>

#include <cstdio>
#include <vector>

namespace {

using Chunk = std::vector<double>;
tessera::Key indexed(const char* name, std::size_t i) { return tessera::Key(name, {static_cast<std::int64_t>(i)}); }

double add_all(tessera::TaskArgs args) {
  double s = 0;
  for (const tessera::Value* v : args) s += v->get<double>();
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tessera;
  if (argc != 4) {
    std::fprintf(stderr, "usage: spill_vector_rss CHUNK TOTAL LIMIT\n");
    return 2;
  }
  const std::size_t chunk_bytes = parse_size(argv[1]), total = parse_size(argv[2]);
  MemoryOptions memory;
  memory.limit = parse_memory_limit(argv[3]);
  configure_memory(memory);
  const std::size_t chunks = total / chunk_bytes, doubles = chunk_bytes / sizeof(double);
  Graph g;
  std::vector<Key> sums, squares;
  for (std::size_t i = 0; i < chunks; ++i) {
    g.add_task(indexed("load", i), [i, doubles] {
      Chunk c(doubles);
      for (std::size_t j = 0; j < doubles; ++j) c[j] = static_cast<double>((i * 31 + j) % 1000) / 1000;
      return c;
    });
    sums.push_back(indexed("sum", i));
    g.add_task(sums.back(), [](const Chunk& c) {
      double s = 0;
      for (double x : c) s += x;
      return s;
    }, ref<Chunk>(indexed("load", i)));
  }
  const double count = static_cast<double>(chunks * doubles);
  g.add_task(Key("mean"), TaskFunction([count](TaskArgs args) { return Value::of(add_all(args) / count); }), sums);
  for (std::size_t i = 0; i < chunks; ++i) {
    squares.push_back(indexed("squares", i));
    g.add_task(squares.back(), [](const Chunk& c, double mean) {
      double s = 0;
      for (double x : c) s += (x - mean) * (x - mean);
      return s;
    }, ref<Chunk>(indexed("load", i)), ref<double>(Key("mean")));
  }
  g.add_task(Key("std"), TaskFunction([](TaskArgs args) { return Value::of(add_all(args)); }), squares);
  ComputeStats stats;
  compute(g, {Key("std")}, {.threads = 2, .stats = &stats});
  std::printf("chunk_bytes=%zu limit=%llu peak_tracked_bytes=%llu spilled_bytes=%llu peak_rss_bytes=%llu\n",
              chunk_bytes, static_cast<unsigned long long>(stats.memory_limit),
              static_cast<unsigned long long>(stats.peak_memory_bytes),
              static_cast<unsigned long long>(stats.spilled_bytes),
              static_cast<unsigned long long>(memory_status().peak_rss_bytes));
  return 0;
}
