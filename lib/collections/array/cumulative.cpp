// cumsum and cumprod along one axis, in three layers over the blocks:
// each block's total along the axis (small), one task per row of blocks that
// turns those totals into each block's carry-in (an exclusive prefix), and
// the scan of each block started from its carry. The input is read twice
// (totals, scan) and the result written once; the carries are a slice per block.
#include "collections/array/array_graph.hpp"

#include <tessera/error.hpp>
#include <tessera/token.hpp>

#include <cstring>
#include <type_traits>

namespace tessera::array {
namespace detail {
namespace {

enum class ScanOp : std::uint8_t { sum, prod };

// Integers wrap on overflow as NumPy's do (no undefined behaviour).
template <class T>
T combine(ScanOp op, T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using U = std::make_unsigned_t<T>;
    const U x = static_cast<U>(a), y = static_cast<U>(b);
    return static_cast<T>(op == ScanOp::sum ? static_cast<U>(x + y) : static_cast<U>(x * y));
  } else {
    return op == ScanOp::sum ? static_cast<T>(a + b) : static_cast<T>(a * b);
  }
}

// A block seen as (outer, n, inner) around the scanned axis.
struct Around {
  std::int64_t outer = 1, n = 1, inner = 1;
  Around(const Shape& shape, int axis) {
    for (int d = 0; d < static_cast<int>(shape.size()); ++d) {
      const std::int64_t s = shape[static_cast<std::size_t>(d)];
      if (d < axis) outer *= s;
      else if (d == axis) n = s;
      else inner *= s;
    }
  }
};

class CumulativeLayer : public BlockLayer {
 public:
  CumulativeLayer(ScanOp op, int axis, DType dtype, ChunkSizes chunks)
      : op_(op), axis_(axis), dtype_(dtype), chunks_(std::move(chunks)) {}

 protected:
  Shape shape_of(std::span<const std::int64_t> block) const { return block_shape(chunks_, block); }
  ScanOp op_;
  int axis_;
  DType dtype_;
  ChunkSizes chunks_;  // of the input
};

// Block -> its total along the axis (the axis of length 1).
class TotalLayer final : public CumulativeLayer {
 public:
  using CumulativeLayer::CumulativeLayer;
  void inputs_of(std::span<const std::int64_t> block, std::vector<std::pair<int, Shape>>& out) const override {
    out.emplace_back(0, Shape(block.begin(), block.end()));
  }
  Value run(std::span<const std::int64_t> block, std::span<const Value* const> inputs) const override {
    const Around a(shape_of(block), axis_);
    Buffer out(static_cast<std::size_t>(a.outer * a.inner) * itemsize(dtype_));
    const std::byte* in = block_buffer(*inputs[0]).data();
    visit_dtype(dtype_, [&](auto t) {
      using T = decltype(t);
      const T* x = reinterpret_cast<const T*>(in);
      T* acc = reinterpret_cast<T*>(out.data());
      for (std::int64_t o = 0; o < a.outer; ++o) {
        T* row = acc + o * a.inner;
        std::fill(row, row + a.inner, op_ == ScanOp::sum ? T(0) : T(1));
        for (std::int64_t i = 0; i < a.n; ++i) {
          const T* src = x + (o * a.n + i) * a.inner;
          for (std::int64_t j = 0; j < a.inner; ++j) row[j] = combine(op_, row[j], src[j]);
        }
      }
    });
    return Value::of(std::move(out));
  }
};

// All totals of a row of blocks -> each block's carry-in (exclusive prefix).
class CarryLayer final : public CumulativeLayer {
 public:
  using CumulativeLayer::CumulativeLayer;
  void inputs_of(std::span<const std::int64_t> block, std::vector<std::pair<int, Shape>>& out) const override {
    Shape at(block.begin(), block.end());
    const auto n = static_cast<std::int64_t>(chunks_[static_cast<std::size_t>(axis_)].size());
    for (std::int64_t k = 0; k < n; ++k) {
      at[static_cast<std::size_t>(axis_)] = k;
      out.emplace_back(0, at);
    }
  }
  Value run(std::span<const std::int64_t> block, std::span<const Value* const> inputs) const override {
    Shape first(block.begin(), block.end());
    first[static_cast<std::size_t>(axis_)] = 0;
    const Around a(shape_of(first), axis_);
    const auto n = static_cast<std::int64_t>(inputs.size());
    Buffer out(static_cast<std::size_t>(a.outer * n * a.inner) * itemsize(dtype_));
    visit_dtype(dtype_, [&](auto t) {
      using T = decltype(t);
      T* carry = reinterpret_cast<T*>(out.data());
      for (std::int64_t o = 0; o < a.outer; ++o) {
        for (std::int64_t j = 0; j < a.inner; ++j) {
          T running = op_ == ScanOp::sum ? T(0) : T(1);
          for (std::int64_t k = 0; k < n; ++k) {
            carry[(o * n + k) * a.inner + j] = running;
            const T* total = reinterpret_cast<const T*>(block_buffer(*inputs[static_cast<std::size_t>(k)]).data());
            running = combine(op_, running, total[o * a.inner + j]);
          }
        }
      }
    });
    return Value::of(std::move(out));
  }
};

// Block and its row's carries -> the block's scan.
class ScanLayer final : public CumulativeLayer {
 public:
  using CumulativeLayer::CumulativeLayer;
  void inputs_of(std::span<const std::int64_t> block, std::vector<std::pair<int, Shape>>& out) const override {
    Shape row(block.begin(), block.end());
    row[static_cast<std::size_t>(axis_)] = 0;
    out.emplace_back(0, Shape(block.begin(), block.end()));
    out.emplace_back(1, std::move(row));
  }
  Value run(std::span<const std::int64_t> block, std::span<const Value* const> inputs) const override {
    const Around a(shape_of(block), axis_);
    const auto k = block[static_cast<std::size_t>(axis_)];
    const auto blocks = static_cast<std::int64_t>(chunks_[static_cast<std::size_t>(axis_)].size());
    Buffer out(static_cast<std::size_t>(a.outer * a.n * a.inner) * itemsize(dtype_));
    visit_dtype(dtype_, [&](auto t) {
      using T = decltype(t);
      const T* x = reinterpret_cast<const T*>(block_buffer(*inputs[0]).data());
      const T* carry = reinterpret_cast<const T*>(block_buffer(*inputs[1]).data());
      T* y = reinterpret_cast<T*>(out.data());
      for (std::int64_t o = 0; o < a.outer; ++o) {
        const T* prev = carry + (o * blocks + k) * a.inner;  // the row before the block's first
        for (std::int64_t i = 0; i < a.n; ++i) {
          const std::int64_t at = (o * a.n + i) * a.inner;
          for (std::int64_t j = 0; j < a.inner; ++j) y[at + j] = combine(op_, prev[j], x[at + j]);
          prev = y + at;
        }
      }
    });
    return Value::of(std::move(out));
  }
};

std::shared_ptr<ArrayExpr> cumulative_layer(std::string_view op, std::uint64_t token, const ArrayExpr& like, Shape shape,
                                            ChunkSizes chunks, std::shared_ptr<const BlockLayer> layer,
                                            std::vector<ExprPtr> inputs) {
  auto e = make_expr(ExprKind::layer, like.dtype, std::move(shape), std::move(chunks), op, token);
  e->layer = std::move(layer);
  e->inputs = std::move(inputs);
  return e;
}

Array cumulative(const Array& x, ScanOp op, std::optional<int> axis) {
  if (!axis) return cumulative(x.ndim() == 1 ? x : x.ravel(), op, 0);
  const int nd = x.ndim();
  const int ax = *axis < 0 ? *axis + nd : *axis;
  const std::string name = op == ScanOp::sum ? "cumsum" : "cumprod";
  require_known(*x.expr(), name);
  if (ax < 0 || ax >= nd) {
    throw InputError(name + ": axis " + std::to_string(*axis) + " is out of bounds for array of dimension " +
                     std::to_string(nd));
  }
  const DType in = x.dtype();
  const DType dtype = is_float(in) ? in : is_unsigned_int(in) ? DType::uint64 : DType::int64;
  const ExprPtr source = x.astype(dtype).expr();
  const auto a = static_cast<std::size_t>(ax);
  const auto blocks = static_cast<std::int64_t>(source->chunks[a].size());
  TokenHasher h;
  h.add(std::string_view(name));
  h.mix(source->token);
  h.mix(source->name.hash());
  h.add(ax);
  const std::uint64_t token = h.value();

  Shape totals_shape = source->shape;
  totals_shape[a] = blocks;
  ChunkSizes totals_chunks = source->chunks;
  totals_chunks[a].assign(static_cast<std::size_t>(blocks), 1);
  auto totals = cumulative_layer(name + "-total", token, *source, totals_shape, totals_chunks,
                                 std::make_shared<TotalLayer>(op, ax, dtype, source->chunks), {source});
  ChunkSizes carry_chunks = source->chunks;
  carry_chunks[a] = {blocks};
  auto carries = cumulative_layer(name + "-carry", token, *source, totals_shape, carry_chunks,
                                  std::make_shared<CarryLayer>(op, ax, dtype, source->chunks), {totals});
  return Array(cumulative_layer(name, token, *source, source->shape, source->chunks,
                                std::make_shared<ScanLayer>(op, ax, dtype, source->chunks), {source, carries}));
}

}  // namespace
}  // namespace detail

Array Array::cumsum(::std::optional<int> axis) const { return detail::cumulative(*this, detail::ScanOp::sum, axis); }
Array Array::cumprod(::std::optional<int> axis) const { return detail::cumulative(*this, detail::ScanOp::prod, axis); }

}  // namespace tessera::array
