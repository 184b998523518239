#pragma once
// A diamond-rich test graph and its oracle, shared by the scheduler tests:
// layer k node i = (31 * node(k-1, i) + node(k-1, i+1)) mod 1000003.
#include <tessera/graph.hpp>

#include <numeric>
#include <vector>

namespace tessera::test {

inline Graph lattice(int width, int layers, std::vector<Key>& outputs) {
  Graph g;
  for (int i = 0; i < width + layers; ++i) g.add_data(Key("in", {i}), static_cast<std::int64_t>(i));
  auto name = [](int layer, int i) { return layer == 0 ? Key("in", {i}) : Key("mix", {layer, i}); };
  for (int layer = 1; layer <= layers; ++layer) {
    for (int i = 0; i < width + layers - layer; ++i) {
      g.add_task(name(layer, i), [](std::int64_t a, std::int64_t b) { return (a * 31 + b) % 1000003; },
                 ref<std::int64_t>(name(layer - 1, i)), ref<std::int64_t>(name(layer - 1, i + 1)));
    }
  }
  for (int i = 0; i < width; ++i) outputs.push_back(name(layers, i));
  return g;
}

/// The same recurrence in a plain loop.
inline std::vector<std::int64_t> lattice_oracle(int width, int layers) {
  std::vector<std::int64_t> v(width + layers);
  std::iota(v.begin(), v.end(), 0);
  for (int layer = 1; layer <= layers; ++layer) {
    for (int i = 0; i < width + layers - layer; ++i) v[i] = (v[i] * 31 + v[i + 1]) % 1000003;
  }
  v.resize(width);
  return v;
}

}  // namespace tessera::test
