// histogram: NumPy's equal-width histogram in one pass over the blocks. A
// layer counts each block's values into a (1, bins) row, (nblocks, bins) in
// all; its sum over axis 0 (the reduction tree) is the histogram. Bin
// numbers are found as NumPy finds them, so a value on an edge lands in the
// same bin.
#include "collections/array/array_graph.hpp"

#include <tessera/error.hpp>
#include <tessera/token.hpp>

#include <cmath>
#include <cstring>
#include <vector>

namespace tessera::array {
namespace detail {
namespace {

// np.linspace(lo, hi, bins + 1): i * step + lo, the last exactly hi.
std::vector<double> equal_edges(double lo, double hi, std::int64_t bins) {
  std::vector<double> edges(static_cast<std::size_t>(bins + 1));
  const double step = (hi - lo) / static_cast<double>(bins);
  for (std::int64_t i = 0; i <= bins; ++i) edges[static_cast<std::size_t>(i)] = static_cast<double>(i) * step + lo;
  edges.back() = hi;
  return edges;
}

class CountLayer final : public BlockLayer {
 public:
  CountLayer(DType dtype, ChunkSizes chunks, std::vector<double> edges)
      : dtype_(dtype), chunks_(std::move(chunks)), edges_(std::move(edges)) {
    for (const auto& axis : chunks_) grid_.push_back(static_cast<std::int64_t>(axis.size()));
  }
  void inputs_of(std::span<const std::int64_t> block, std::vector<std::pair<int, Shape>>& out) const override {
    out.emplace_back(0, input_block(block[0]));
  }
  Value run(std::span<const std::int64_t> block, std::span<const Value* const> inputs) const override {
    const auto bins = static_cast<std::int64_t>(edges_.size()) - 1;
    Buffer out(static_cast<std::size_t>(bins) * sizeof(std::int64_t));
    auto* counts = reinterpret_cast<std::int64_t*>(out.data());
    std::fill(counts, counts + bins, std::int64_t{0});
    const Shape shape = block_shape(chunks_, input_block(block[0]));
    std::int64_t n = 1;
    for (std::int64_t s : shape) n *= s;
    const double lo = edges_.front(), hi = edges_.back(), width = hi - lo;
    const double* edge = edges_.data();
    visit_dtype(dtype_, [&](auto t) {
      using T = decltype(t);
      const T* x = reinterpret_cast<const T*>(block_buffer(*inputs[0]).data());
      for (std::int64_t k = 0; k < n; ++k) {
        const double v = static_cast<double>(x[k]);
        if (!(v >= lo && v <= hi)) continue;  // outside, or NaN
        auto i = static_cast<std::int64_t>((v - lo) / width * static_cast<double>(bins));
        if (i == bins) --i;
        if (v < edge[i]) {
          --i;
        } else if (v >= edge[i + 1] && i != bins - 1) {
          ++i;
        }
        ++counts[i];
      }
    });
    return Value::of(std::move(out));
  }

 private:
  // The input's block number `flat`, in C order over its grid.
  Shape input_block(std::int64_t flat) const {
    Shape at(grid_.size());
    for (std::size_t d = grid_.size(); d-- > 0;) {
      at[d] = flat % grid_[d];
      flat /= grid_[d];
    }
    return at;
  }

  DType dtype_;
  ChunkSizes chunks_;
  std::vector<std::int64_t> grid_;
  std::vector<double> edges_;
};

}  // namespace
}  // namespace detail

Histogram histogram(const Array& x, std::int64_t bins, std::pair<double, double> range) {
  using namespace detail;
  require_known(*x.expr(), "histogram");
  const auto [lo, hi] = range;
  if (bins < 1) throw InputError("histogram: bins must be at least 1, not " + std::to_string(bins));
  if (!(std::isfinite(lo) && std::isfinite(hi)) || lo > hi) {
    throw InputError("histogram: the range (" + std::to_string(lo) + ", " + std::to_string(hi) +
                     ") must be finite with its first value at most its second");
  }
  // NumPy widens an empty range by 0.5 each way.
  const double first = lo == hi ? lo - 0.5 : lo, last = lo == hi ? hi + 0.5 : hi;
  std::vector<double> edges = equal_edges(first, last, bins);
  const ExprPtr source = x.expr();
  // NumPy's edges take a float input's dtype (float64 for integers), and its
  // values are compared with them in that dtype.
  const bool single = source->dtype == DType::float32;
  if (single) {
    for (double& e : edges) e = static_cast<double>(static_cast<float>(e));
  }
  std::int64_t blocks = 1;
  for (const auto& axis : source->chunks) blocks *= static_cast<std::int64_t>(axis.size());
  TokenHasher h;
  h.add(std::string_view("histogram"));
  h.mix(source->token);
  h.mix(source->name.hash());
  h.add(bins);
  h.add(first);
  h.add(last);
  auto rows = make_expr(ExprKind::layer, DType::int64, Shape{blocks, bins},
                        ChunkSizes{std::vector<std::int64_t>(static_cast<std::size_t>(blocks), 1), {bins}},
                        "histogram-count", h.value());
  rows->layer = std::make_shared<CountLayer>(source->dtype, source->chunks, edges);
  rows->inputs = {source};
  NDArray edge_array = single ? NDArray::from_vector(std::vector<float>(edges.begin(), edges.end()), {bins + 1})
                              : NDArray::from_vector(edges, {bins + 1});
  return {Array(std::move(rows)).sum(0), std::move(edge_array)};
}

}  // namespace tessera::array
