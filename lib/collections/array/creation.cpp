// Making arrays: every creation is a layer of tasks without inputs, so each
// block is made on the rank that will use it (nothing is built on rank 0 and
// sent). Random numbers are counter-based (element i's value is a hash of the
// seed and i), so the array is the same whatever its chunks and rank count.
#include "collections/array/array_graph.hpp"

#include <tessera/error.hpp>
#include <tessera/runtime.hpp>
#include <tessera/token.hpp>

#include <cmath>
#include <cstring>
#include <map>
#include <numbers>
#include <sstream>

namespace tessera::array {
namespace detail {
namespace {

// Blocks made from their place in the array alone.
class MakeLayer final : public BlockLayer {
 public:
  using Fill = std::function<void(const BlockInfo&, std::span<std::byte>)>;
  MakeLayer(ChunkSizes chunks, DType dtype, Fill fill) : chunks_(std::move(chunks)), dtype_(dtype), fill_(std::move(fill)) {}
  void inputs_of(std::span<const std::int64_t>, std::vector<std::pair<int, Shape>>&) const override {}
  Value run(std::span<const std::int64_t> block, std::span<const Value* const>) const override {
    BlockInfo info{Shape(block.begin(), block.end()), block_shape(chunks_, block), block_offset(chunks_, block), dtype_};
    Buffer out(static_cast<std::size_t>(product(info.shape)) * itemsize(dtype_));
    fill_(info, out.bytes());
    return Value::of(std::move(out));
  }

 private:
  ChunkSizes chunks_;
  DType dtype_;
  Fill fill_;
};

Array make_array(Shape shape, const ChunkSpec& spec, DType dtype, std::string_view op, std::uint64_t token,
                 MakeLayer::Fill fill) {
  for (std::int64_t s : shape) {
    if (s < 0) throw InputError("negative dimensions are not allowed: shape " + shape_str(shape));
  }
  ChunkSizes chunks = spec.resolve(shape, dtype);
  TokenHasher h;
  h.mix(token);
  h.add(op);
  h.add(static_cast<int>(dtype));
  for (const auto& axis : chunks) {
    h.add(axis.size());
    for (std::int64_t c : axis) h.add(c);
  }
  for (std::int64_t s : shape) h.add(s);
  auto e = make_expr(ExprKind::layer, dtype, shape, chunks, op, h.value());
  e->layer = std::make_shared<MakeLayer>(chunks, dtype, std::move(fill));
  return Array(std::move(e));
}

// Calls f(flat global index) for each element of a block, in C order.
template <class F>
void for_each_flat(const BlockInfo& info, const Shape& global, F&& f) {
  const std::size_t nd = info.shape.size();
  if (nd == 0) {
    f(std::int64_t{0}, std::int64_t{0});
    return;
  }
  const std::int64_t n = product(info.shape);
  if (n == 0) return;
  Shape gstrides(nd, 1);
  for (std::size_t d = nd; d-- > 1;) gstrides[d - 1] = gstrides[d] * global[d];
  Shape idx(nd, 0);
  std::int64_t k = 0;
  const std::int64_t row = info.shape.back();
  while (k < n) {
    std::int64_t flat = 0;
    for (std::size_t d = 0; d < nd; ++d) flat += (info.offset[d] + idx[d]) * gstrides[d];
    for (std::int64_t j = 0; j < row; ++j) f(k + j, flat + j);
    k += row;
    next_index(std::span(idx).first(nd - 1), std::span<const std::int64_t>(info.shape).first(nd - 1));
  }
}

std::uint64_t mix64(std::uint64_t z) {  // splitmix64's finaliser
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
double uniform01(std::uint64_t seed, std::uint64_t i, std::uint64_t stream) {
  const std::uint64_t bits = mix64(mix64(seed * 0x9e3779b97f4a7c15ull + stream) ^ (i + 0x632be59bd9b4e019ull));
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

}  // namespace
}  // namespace detail

using namespace detail;

Array empty(Shape shape, CreateOptions options) {
  return make_array(std::move(shape), options.chunks, options.dtype, "empty", 0,
                    [](const BlockInfo&, std::span<std::byte>) {});
}

Array full(Shape shape, Scalar value, CreateOptions options) {
  const DType dtype = options.dtype;
  return make_array(std::move(shape), options.chunks, dtype, "full", scalar_token(value),
                    [value, dtype](const BlockInfo&, std::span<std::byte> out) {
                      visit_dtype(dtype, [&](auto t) {
                        using T = decltype(t);
                        const T v = value.kind == Scalar::Kind::floating ? static_cast<T>(value.f) : static_cast<T>(value.i);
                        auto* p = reinterpret_cast<T*>(out.data());
                        std::fill(p, p + out.size() / sizeof(T), v);
                      });
                    });
}

Array zeros(Shape shape, CreateOptions options) { return full(std::move(shape), 0, options); }
Array ones(Shape shape, CreateOptions options) { return full(std::move(shape), 1, options); }

Array arange(Scalar start, Scalar stop, Scalar step, ChunkSpec chunks, std::optional<DType> dtype) {
  const bool floating = start.kind == Scalar::Kind::floating || stop.kind == Scalar::Kind::floating ||
                        step.kind == Scalar::Kind::floating;
  if (step.f == 0) throw InputError("arange: the step must not be zero");
  const DType d = dtype.value_or(floating ? DType::float64 : DType::int64);
  const double count = std::ceil((stop.f - start.f) / step.f);
  const auto n = static_cast<std::int64_t>(std::max(0.0, count));
  TokenHasher h;
  h.mix(scalar_token(start));
  h.mix(scalar_token(step));
  return make_array({n}, chunks, d, "arange", h.value(), [start, step, d, floating](const BlockInfo& info, std::span<std::byte> out) {
    visit_dtype(d, [&](auto t) {
      using T = decltype(t);
      auto* p = reinterpret_cast<T*>(out.data());
      for (std::int64_t k = 0; k < info.shape[0]; ++k) {
        const std::int64_t i = info.offset[0] + k;
        if (floating) p[k] = static_cast<T>(start.f + static_cast<double>(i) * step.f);
        else p[k] = static_cast<T>(start.i + i * step.i);
      }
    });
  });
}

Array linspace(double start, double stop, std::int64_t num, ChunkSpec chunks, bool endpoint) {
  if (num < 0) throw InputError("linspace: number of samples, " + std::to_string(num) + ", must be non-negative");
  const double div = endpoint ? static_cast<double>(num - 1) : static_cast<double>(num);
  const double step = div > 0 ? (stop - start) / div : 0.0;
  TokenHasher h;
  h.add(start);
  h.add(stop);
  h.add(endpoint);
  return make_array({num}, chunks, DType::float64, "linspace", h.value(),
                    [=](const BlockInfo& info, std::span<std::byte> out) {
                      auto* p = reinterpret_cast<double*>(out.data());
                      for (std::int64_t k = 0; k < info.shape[0]; ++k) {
                        const std::int64_t i = info.offset[0] + k;
                        p[k] = (endpoint && i == num - 1 && num > 1) ? stop : start + static_cast<double>(i) * step;
                      }
                    });
}

Array from_function(Shape shape, ChunkSpec chunks, DType dtype, BlockFiller fill, std::string name) {
  TokenHasher h;
  h.add(std::string_view(name));
  return make_array(std::move(shape), chunks, dtype, name, h.value(), std::move(fill));
}

Array from_ndarray(const NDArray& data, ChunkSpec chunks) {
  const std::uint64_t content = hash_bytes(data.buffer().bytes());
  const Shape global = data.shape();
  const std::size_t item = itemsize(data.dtype());
  return make_array(global, chunks, data.dtype(), "array", content,
                    [data, global, item](const BlockInfo& info, std::span<std::byte> out) {
                      const std::byte* src = data.buffer().data();
                      if (info.shape.empty()) {
                        std::memcpy(out.data(), src, item);
                        return;
                      }
                      const std::int64_t row = info.shape.back();
                      for_each_flat(info, global, [&](std::int64_t local, std::int64_t flat) {
                        if (local % row != 0) return;  // one copy a row
                        std::memcpy(out.data() + local * static_cast<std::int64_t>(item),
                                    src + flat * static_cast<std::int64_t>(item), static_cast<std::size_t>(row) * item);
                      });
                    });
}

namespace {

template <class... Parts>
std::uint64_t parts_token(const Parts&... parts) {
  TokenHasher h;
  (h.add(parts), ...);
  return h.value();
}

// Element i of the whole array is element(i): the same whatever the chunks.
template <class T, class Element>
Array counter_array(Shape shape, const ChunkSpec& chunks, std::string_view op, std::uint64_t token, Element element) {
  const Shape global = shape;
  return make_array(std::move(shape), chunks, dtype_of<T>(), op, token,
                    [global, element](const BlockInfo& info, std::span<std::byte> out) {
                      auto* p = reinterpret_cast<T*>(out.data());
                      for_each_flat(info, global, [&](std::int64_t k, std::int64_t i) {
                        p[k] = element(static_cast<std::uint64_t>(i));
                      });
                    });
}

}  // namespace

namespace random {

Array uniform(Shape shape, ChunkSpec chunks, std::uint64_t seed, double low, double high) {
  return counter_array<double>(std::move(shape), chunks, "uniform", parts_token(seed, low, high),
                               [=](std::uint64_t i) { return low + (high - low) * uniform01(seed, i, 0); });
}

Array normal(Shape shape, ChunkSpec chunks, std::uint64_t seed, double mean, double stddev) {
  return counter_array<double>(std::move(shape), chunks, "normal", parts_token(seed, mean, stddev),
                               [=](std::uint64_t i) {
                                 // Box-Muller over two numbers of element i's own.
                                 const double u1 = 1.0 - uniform01(seed, i, 1);
                                 const double u2 = uniform01(seed, i, 2);
                                 return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
                               });
}

Array integers(std::int64_t low, std::int64_t high, Shape shape, ChunkSpec chunks, std::uint64_t seed) {
  if (high <= low) throw InputError("integers: low >= high (" + std::to_string(low) + " >= " + std::to_string(high) + ")");
  const auto range = static_cast<std::uint64_t>(high - low);
  return counter_array<std::int64_t>(std::move(shape), chunks, "integers", parts_token(seed, low, high),
                                     [=](std::uint64_t i) {
                                       const std::uint64_t bits = mix64(mix64(seed ^ 0x5851f42d4c957f2dull) + i);
                                       __extension__ using u128 = unsigned __int128;  // high half of bits * range: no modulo bias
                                       return low + static_cast<std::int64_t>(static_cast<u128>(bits) * range >> 64);
                                     });
}

}  // namespace random

// ---- from_local_blocks ----------------------------------------------------------

Array from_local_blocks(std::vector<LocalBlock> blocks, Shape global_shape) {
  Runtime* runtime = Runtime::current();
  const int rank = runtime ? runtime->rank() : 0;
  // Describe this rank's blocks: index, shape, dtype and a content hash each.
  std::ostringstream mine;
  for (const LocalBlock& b : blocks) {
    mine << static_cast<int>(b.data.dtype()) << ' ' << hash_bytes(b.data.buffer().bytes()) << ' ' << b.index.size();
    for (auto i : b.index) mine << ' ' << i;
    mine << ' ' << b.data.shape().size();
    for (auto s : b.data.shape()) mine << ' ' << s;
    mine << '\n';
  }
  const std::vector<std::string> all = runtime ? runtime->all_gather(mine.str()) : std::vector<std::string>{mine.str()};
  struct Entry {
    int rank;
    DType dtype;
    std::uint64_t hash;
    Shape shape;
  };
  std::map<Shape, Entry> by_index;
  const std::size_t nd = global_shape.size();
  std::optional<DType> dtype;
  for (int r = 0; r < static_cast<int>(all.size()); ++r) {
    std::istringstream in(all[static_cast<std::size_t>(r)]);
    int dt;
    while (in >> dt) {
      Entry e{r, static_cast<DType>(dt), 0, {}};
      std::size_t n;
      in >> e.hash >> n;
      Shape index(n);
      for (auto& i : index) in >> i;
      in >> n;
      e.shape.resize(n);
      for (auto& s : e.shape) in >> s;
      if (index.size() != nd || e.shape.size() != nd) {
        throw InputError("from_local_blocks: rank " + std::to_string(r) + " gave block " + shape_str(index) +
                         " of shape " + shape_str(e.shape) + " for a " + std::to_string(nd) + "-d array " +
                         shape_str(global_shape));
      }
      if (dtype && *dtype != e.dtype) {
        throw InputError("from_local_blocks: rank " + std::to_string(r) + " gave a " +
                         std::string(dtype_name(e.dtype)) + " block but others gave " + std::string(dtype_name(*dtype)));
      }
      dtype = e.dtype;
      if (auto [it, inserted] = by_index.emplace(index, e); !inserted) {
        throw InputError("from_local_blocks: block " + shape_str(index) + " was given by rank " +
                         std::to_string(it->second.rank) + " and rank " + std::to_string(r));
      }
    }
  }
  if (!dtype) throw InputError("from_local_blocks: no rank gave a block");
  // The grid: along each axis, the length of block k is its shape there.
  ChunkSizes chunks(nd);
  Shape grid(nd, 0);
  for (const auto& [index, e] : by_index) {
    for (std::size_t d = 0; d < nd; ++d) grid[d] = std::max(grid[d], index[d] + 1);
  }
  for (std::size_t d = 0; d < nd; ++d) chunks[d].assign(static_cast<std::size_t>(grid[d]), -1);
  for (const auto& [index, e] : by_index) {
    for (std::size_t d = 0; d < nd; ++d) {
      auto& c = chunks[d][static_cast<std::size_t>(index[d])];
      if (c != -1 && c != e.shape[d]) {
        throw InputError("from_local_blocks: block " + shape_str(index) + " (rank " + std::to_string(e.rank) +
                         ") has length " + std::to_string(e.shape[d]) + " along axis " + std::to_string(d) +
                         " but another block in its row has " + std::to_string(c));
      }
      c = e.shape[d];
    }
  }
  if (static_cast<std::int64_t>(by_index.size()) != product(grid)) {
    throw InputError("from_local_blocks: the blocks given (" + std::to_string(by_index.size()) +
                     ") do not fill the block grid " + shape_str(grid));
  }
  for (std::size_t d = 0; d < nd; ++d) {
    std::int64_t total = 0;
    for (auto c : chunks[d]) total += c;
    if (total != global_shape[d]) {
      throw InputError("from_local_blocks: the blocks add up to " + std::to_string(total) + " along axis " +
                       std::to_string(d) + " but the global shape " + shape_str(global_shape) + " has " +
                       std::to_string(global_shape[d]));
    }
  }
  TokenHasher h;
  std::vector<PersistedResult> held;
  std::map<Shape, const LocalBlock*> local;
  for (const LocalBlock& b : blocks) local[b.index] = &b;
  for (const auto& [index, e] : by_index) {
    h.mix(e.hash);
    PersistedResult r;
    r.holder = e.rank;
    r.nbytes = static_cast<std::uint64_t>(product(e.shape)) * itemsize(e.dtype);
    if (e.rank == rank) r.value = Value::of(Buffer(local.at(index)->data.buffer()));
    held.push_back(std::move(r));
  }
  auto x = make_expr(ExprKind::persisted, *dtype, std::move(global_shape), std::move(chunks), "from_local_blocks", h.value());
  x->blocks = std::move(held);
  return Array(std::move(x));
}

// ---- map_blocks -------------------------------------------------------------------

namespace {
class MapLayer final : public BlockLayer {
 public:
  MapLayer(BlockFunction f, std::vector<DType> in, ChunkSizes chunks, DType dtype)
      : f_(std::move(f)), in_(std::move(in)), chunks_(std::move(chunks)), dtype_(dtype) {}
  void inputs_of(std::span<const std::int64_t> block, std::vector<std::pair<int, Shape>>& out) const override {
    for (std::size_t i = 0; i < in_.size(); ++i) out.emplace_back(static_cast<int>(i), Shape(block.begin(), block.end()));
  }
  Value run(std::span<const std::int64_t> block, std::span<const Value* const> inputs) const override {
    BlockInfo info{Shape(block.begin(), block.end()), block_shape(chunks_, block), block_offset(chunks_, block), dtype_};
    std::vector<NDArray> views;
    for (std::size_t i = 0; i < inputs.size(); ++i) views.emplace_back(in_[i], info.shape, Buffer(block_buffer(*inputs[i])));
    NDArray out(dtype_, info.shape);
    f_(info, views, out);
    return Value::of(Buffer(out.buffer()));
  }

 private:
  BlockFunction f_;
  std::vector<DType> in_;
  ChunkSizes chunks_;
  DType dtype_;
};
}  // namespace

Array map_blocks(BlockFunction f, std::span<const Array> inputs, DType dtype, std::string name) {
  if (inputs.empty()) throw InputError("map_blocks needs at least one input array");
  std::vector<DType> in;
  TokenHasher h;
  h.add(std::string_view(name));
  h.add(static_cast<int>(dtype));
  for (const Array& a : inputs) {
    if (a.shape() != inputs[0].shape() || a.chunks() != inputs[0].chunks()) {
      throw InputError("map_blocks: inputs have shapes " + shape_str(inputs[0].shape()) + " and " +
                       shape_str(a.shape()) + " or different chunks; give arrays chunked alike");
    }
    require_known(*a.expr(), "map_blocks");
    in.push_back(a.dtype());
    h.mix(a.expr()->token);
    h.mix(a.expr()->name.hash());
  }
  auto e = make_expr(ExprKind::layer, dtype, inputs[0].shape(), inputs[0].chunks(), name, h.value());
  e->layer = std::make_shared<MapLayer>(std::move(f), std::move(in), inputs[0].chunks(), dtype);
  for (const Array& a : inputs) e->inputs.push_back(a.expr());
  return Array(std::move(e));
}

}  // namespace tessera::array
