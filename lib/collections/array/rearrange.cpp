// Indexing, transpose, concatenate, stack and reshape: layers that move
// elements without computing on them.
//
// All but reshape are one RearrangeLayer: along each output axis, each output
// chunk is a list of segments, each a strided run inside one block of an input
// (which input axis feeds the output axis is fixed per input; new axes read
// nothing). An output block is the cross product of its axes' segments, copied
// row by row (memcpy where the run is contiguous). A block that is exactly one
// input block in the same order is that block's value: slicing along chunk
// boundaries, concatenating and stacking copy nothing.
//
// Reshape keeps every chunk whole: each output chunk is one input chunk read
// in C order, which the chunk boundaries allow or the reshape is refused.
#include "collections/array/array_graph.hpp"

#include <tessera/error.hpp>
#include <tessera/token.hpp>

#include <algorithm>
#include <cstring>
#include <numeric>

namespace tessera::array {
namespace detail {
namespace {

struct Segment {
  std::int64_t in_block = 0;  // block index along the input axis
  std::int64_t in_start = 0;  // first element inside that block
  std::int64_t step = 1;      // may be negative or 0 (a repeated position)
  std::int64_t count = 0;
  std::int64_t out_start = 0;  // inside the output chunk
};

// How one input feeds the output.
struct InputMap {
  std::vector<int> in_axis;                            // per output axis: its input axis, -1 for a new axis
  std::vector<std::vector<std::vector<Segment>>> seg;  // [output axis][output chunk]
  std::vector<std::pair<std::int64_t, std::int64_t>> fixed;  // per input axis no output axis reads: (block, element)
};

// One copy: a box of the output block from one input block.
struct Piece {
  int input = 0;
  Shape in_block;
  std::vector<const Segment*> seg;  // per output axis
};

class RearrangeLayer final : public BlockLayer {
 public:
  RearrangeLayer(DType dtype, ChunkSizes out_chunks, std::vector<ChunkSizes> in_chunks, std::vector<InputMap> maps)
      : dtype_(dtype), out_chunks_(std::move(out_chunks)), in_chunks_(std::move(in_chunks)), maps_(std::move(maps)) {}

  void inputs_of(std::span<const std::int64_t> block, std::vector<std::pair<int, Shape>>& out) const override {
    for_each_piece(block, [&](const Piece& p) {
      for (const auto& [input, index] : out) {
        if (input == p.input && index == p.in_block) return;
      }
      out.emplace_back(p.input, p.in_block);
    });
  }

  Value run(std::span<const std::int64_t> block, std::span<const Value* const> inputs) const override {
    std::vector<std::pair<int, Shape>> refs;
    inputs_of(block, refs);
    const Shape shape = block_shape(out_chunks_, block);
    if (refs.size() == 1 && is_whole_block(block, shape, refs[0])) return *inputs[0];
    const std::size_t item = itemsize(dtype_);
    const std::size_t nd = shape.size();
    Buffer out(static_cast<std::size_t>(product(shape)) * item);
    Shape out_strides(nd, 1);
    for (std::size_t d = nd; d-- > 1;) out_strides[d - 1] = out_strides[d] * shape[d];
    for_each_piece(block, [&](const Piece& p) {
      std::size_t which = 0;
      while (refs[which].first != p.input || refs[which].second != p.in_block) ++which;
      const Buffer& src = block_buffer(*inputs[which]);
      copy_piece(p, src.data(), out.data(), out_strides, item);
    });
    return Value::of(std::move(out));
  }

 private:
  template <class F>
  void for_each_piece(std::span<const std::int64_t> block, F&& f) const {
    const std::size_t nd = block.size();
    for (std::size_t i = 0; i < maps_.size(); ++i) {
      const InputMap& m = maps_[i];
      std::vector<const std::vector<Segment>*> lists(nd);
      bool empty = false;
      for (std::size_t d = 0; d < nd; ++d) {
        lists[d] = &m.seg[d][static_cast<std::size_t>(block[d])];
        empty = empty || lists[d]->empty();
      }
      if (empty) continue;
      Piece p;
      p.input = static_cast<int>(i);
      p.seg.resize(nd);
      p.in_block.resize(m.fixed.size());
      for (std::size_t a = 0; a < m.fixed.size(); ++a) p.in_block[a] = m.fixed[a].first;
      Shape at(nd, 0), extent(nd);
      for (std::size_t d = 0; d < nd; ++d) extent[d] = static_cast<std::int64_t>(lists[d]->size());
      do {
        for (std::size_t d = 0; d < nd; ++d) {
          p.seg[d] = &(*lists[d])[static_cast<std::size_t>(at[d])];
          if (m.in_axis[d] >= 0) p.in_block[static_cast<std::size_t>(m.in_axis[d])] = p.seg[d]->in_block;
        }
        f(p);
      } while (nd > 0 && next_index(at, extent));
    }
  }

  // Whether the output block is all of one input block in C order.
  bool is_whole_block(std::span<const std::int64_t> block, const Shape& shape,
                      const std::pair<int, Shape>& ref) const {
    const InputMap& m = maps_[static_cast<std::size_t>(ref.first)];
    const Shape in_shape = block_shape(in_chunks_[static_cast<std::size_t>(ref.first)], ref.second);
    if (product(in_shape) != product(shape)) return false;
    int last_axis = -1;
    for (std::size_t d = 0; d < shape.size(); ++d) {
      const auto& segs = m.seg[d][static_cast<std::size_t>(block[d])];
      if (segs.size() != 1) return false;
      const int a = m.in_axis[d];
      if (a < 0) continue;
      const Segment& s = segs[0];
      if (a < last_axis || s.in_start != 0 || (s.step != 1 && s.count > 1) ||
          s.count != in_shape[static_cast<std::size_t>(a)]) {
        return false;
      }
      last_axis = a;
    }
    // Equal sizes and every read axis read whole: the axes no output axis
    // reads (integer indices) have length 1.
    return true;
  }

  void copy_piece(const Piece& p, const std::byte* src, std::byte* dst, const Shape& out_strides,
                  std::size_t item) const {
    const InputMap& m = maps_[static_cast<std::size_t>(p.input)];
    const Shape in_shape = block_shape(in_chunks_[static_cast<std::size_t>(p.input)], p.in_block);
    const std::size_t ni = in_shape.size(), nd = out_strides.size();
    Shape in_strides(ni, 1);
    for (std::size_t a = ni; a-- > 1;) in_strides[a - 1] = in_strides[a] * in_shape[a];
    std::int64_t in_base = 0, out_base = 0;
    for (std::size_t a = 0; a < ni; ++a) in_base += m.fixed[a].second * in_strides[a];
    Shape count(nd), istride(nd);
    for (std::size_t d = 0; d < nd; ++d) {
      const Segment& s = *p.seg[d];
      count[d] = s.count;
      out_base += s.out_start * out_strides[d];
      const int a = m.in_axis[d];
      istride[d] = a < 0 ? 0 : s.step * in_strides[static_cast<std::size_t>(a)];
      if (a >= 0) in_base += s.in_start * in_strides[static_cast<std::size_t>(a)];
    }
    if (nd == 0) {
      std::memcpy(dst + out_base * static_cast<std::int64_t>(item), src + in_base * static_cast<std::int64_t>(item), item);
      return;
    }
    if (product(count) == 0) return;
    const std::int64_t row = count[nd - 1];
    const std::int64_t inner = istride[nd - 1];
    Shape at(nd - 1, 0);
    const auto outer = std::span<const std::int64_t>(count).first(nd - 1);
    do {
      std::int64_t i = in_base, o = out_base;
      for (std::size_t d = 0; d + 1 < nd; ++d) {
        i += at[d] * istride[d];
        o += at[d] * out_strides[d];
      }
      copy_row(src + i * static_cast<std::int64_t>(item), inner, dst + o * static_cast<std::int64_t>(item), row, item);
    } while (next_index(at, outer));
  }

  static void copy_row(const std::byte* src, std::int64_t stride, std::byte* dst, std::int64_t n, std::size_t item) {
    if (stride == 1) {
      std::memcpy(dst, src, static_cast<std::size_t>(n) * item);
      return;
    }
    auto strided = [&](auto t) {
      using T = decltype(t);
      const auto* s = reinterpret_cast<const T*>(src);
      auto* o = reinterpret_cast<T*>(dst);
      for (std::int64_t k = 0; k < n; ++k) std::memcpy(o + k, s + k * stride, sizeof(T));
    };
    switch (item) {
      case 1: strided(std::uint8_t{}); break;
      case 2: strided(std::uint16_t{}); break;
      case 4: strided(std::uint32_t{}); break;
      default: strided(std::uint64_t{}); break;
    }
  }

  DType dtype_;
  ChunkSizes out_chunks_;
  std::vector<ChunkSizes> in_chunks_;
  std::vector<InputMap> maps_;
};


// ---- segments along one axis ----------------------------------------------------

std::size_t block_of(const std::vector<std::int64_t>& starts, std::int64_t position) {
  return static_cast<std::size_t>(std::upper_bound(starts.begin(), starts.end(), position) - starts.begin()) - 1;
}

// Output chunk c is input chunk c.
std::vector<std::vector<Segment>> identity_segments(const std::vector<std::int64_t>& chunks) {
  std::vector<std::vector<Segment>> seg(chunks.size());
  for (std::size_t c = 0; c < chunks.size(); ++c) seg[c] = {Segment{static_cast<std::int64_t>(c), 0, 1, chunks[c], 0}};
  return seg;
}

// Any output chunks over the same axis: each a run of segments, one per input block it overlaps.
std::vector<std::vector<Segment>> spanning_segments(const std::vector<std::int64_t>& in_chunks,
                                                    const std::vector<std::int64_t>& out_chunks) {
  const auto in_starts = chunk_starts(in_chunks);
  std::vector<std::vector<Segment>> seg(out_chunks.size());
  std::int64_t at = 0;
  for (std::size_t c = 0; c < out_chunks.size(); ++c) {
    const std::int64_t end = at + out_chunks[c];
    for (std::int64_t p = at; p < end;) {
      const std::size_t b = block_of(in_starts, p);
      const std::int64_t n = std::min(end, in_starts[b + 1]) - p;
      seg[c].push_back(Segment{static_cast<std::int64_t>(b), p - in_starts[b], 1, n, p - at});
      p += n;
    }
    at = end;
  }
  return seg;
}

// The runs (positions inside one input block at a constant step) that read
// `positions` in order.
std::vector<Segment> runs_of(std::span<const std::int64_t> positions, const std::vector<std::int64_t>& in_chunks) {
  const auto starts = chunk_starts(in_chunks);
  std::vector<Segment> runs;
  std::int64_t last = 0;
  for (std::int64_t p : positions) {
    const auto b = static_cast<std::int64_t>(block_of(starts, p));
    if (!runs.empty()) {
      Segment& r = runs.back();
      if (r.in_block == b && (r.count == 1 || p - last == r.step)) {
        if (r.count == 1) r.step = p - last;
        ++r.count;
        last = p;
        continue;
      }
    }
    runs.push_back(Segment{b, p - starts[static_cast<std::size_t>(b)], 1, 1, 0});
    last = p;
  }
  return runs;
}

// The positions start, start + step, ... (length of them) as runs, without listing them.
std::vector<Segment> slice_runs(std::int64_t start, std::int64_t step, std::int64_t length,
                                const std::vector<std::int64_t>& in_chunks) {
  const auto starts = chunk_starts(in_chunks);
  std::vector<Segment> runs;
  for (std::int64_t k = 0; k < length;) {
    const std::int64_t p = start + k * step;
    const std::size_t b = block_of(starts, p);
    const std::int64_t room = step > 0 ? (starts[b + 1] - 1 - p) / step + 1 : (p - starts[b]) / -step + 1;
    const std::int64_t n = std::min(length - k, room);
    runs.push_back(Segment{static_cast<std::int64_t>(b), p - starts[b], step, n, 0});
    k += n;
  }
  return runs;
}

// Output chunks of at most `limit` elements from runs in output order; a run
// is split only when it does not fit in a chunk of its own.
void group_runs(std::vector<Segment> runs, std::int64_t limit, std::vector<std::int64_t>& chunks,
                std::vector<std::vector<Segment>>& seg) {
  limit = std::max<std::int64_t>(limit, 1);
  std::int64_t filled = 0;
  auto close = [&] {
    if (filled == 0) return;
    chunks.push_back(filled);
    filled = 0;
  };
  std::vector<Segment> current;
  for (Segment r : runs) {
    while (r.count > 0) {
      if (filled == limit || (filled > 0 && r.count > limit - filled && r.count <= limit)) {
        seg.push_back(std::move(current));
        current.clear();
        close();
      }
      const std::int64_t take = std::min(r.count, limit - filled);
      current.push_back(Segment{r.in_block, r.in_start, r.step, take, filled});
      filled += take;
      r.in_start += take * r.step;
      r.count -= take;
    }
  }
  if (filled > 0) {
    seg.push_back(std::move(current));
    close();
  }
  if (chunks.empty()) {  // an empty axis: one chunk of length 0
    chunks.push_back(0);
    seg.emplace_back();
  }
}

std::int64_t longest(const std::vector<std::int64_t>& chunks) {
  return chunks.empty() ? 1 : *std::max_element(chunks.begin(), chunks.end());
}

int normalize_axis(int axis, int nd, std::string_view op) {
  const int a = axis < 0 ? axis + nd : axis;
  if (a < 0 || a >= nd) {
    throw InputError(std::string(op) + ": axis " + std::to_string(axis) + " is out of bounds for array of dimension " +
                     std::to_string(nd));
  }
  return a;
}

Array rearranged(std::string_view op, std::uint64_t token, DType dtype, Shape shape, ChunkSizes chunks,
                 const std::vector<ExprPtr>& inputs, std::vector<InputMap> maps) {
  std::vector<ChunkSizes> in_chunks;
  for (const ExprPtr& in : inputs) in_chunks.push_back(in->chunks);
  auto e = make_expr(ExprKind::layer, dtype, std::move(shape), chunks, op, token);
  e->layer = std::make_shared<RearrangeLayer>(dtype, std::move(chunks), std::move(in_chunks), std::move(maps));
  e->inputs = inputs;
  return Array(std::move(e));
}

void mix_input(TokenHasher& h, const ArrayExpr& e) {
  h.mix(e.token);
  h.mix(e.name.hash());
}

// Reads `positions` of one axis: output chunks near the input's chunk length.
void positions_axis(std::span<const std::int64_t> positions, const std::vector<std::int64_t>& in_chunks,
                    std::vector<std::int64_t>& chunks, std::vector<std::vector<Segment>>& seg) {
  group_runs(runs_of(positions, in_chunks), longest(in_chunks), chunks, seg);
}

}  // namespace
}  // namespace detail

using namespace detail;

// ---- indexing --------------------------------------------------------------------------

Array Array::operator[](Index index) const { return this->index(::std::span<const Index>(&index, 1)); }
Array Array::operator[](::std::initializer_list<Index> indices) const {
  return index(::std::span<const Index>(indices.begin(), indices.size()));
}

Array Array::index(::std::span<const Index> indices) const {
  const ArrayExpr& in = *expr_;
  require_known(in, "indexing");
  const int nd = ndim();
  int consuming = 0, ellipses = 0, arrays = 0;
  for (const Index& i : indices) {
    consuming += i.kind() == Index::Kind::integer || i.kind() == Index::Kind::slice || i.kind() == Index::Kind::positions;
    ellipses += i.kind() == Index::Kind::ellipsis;
    arrays += i.kind() == Index::Kind::positions;
  }
  if (ellipses > 1) throw InputError("an index can only have a single ellipsis ('...')");
  if (arrays > 1) {
    throw InputError("only one integer-array index is supported per index (got " + ::std::to_string(arrays) + ")");
  }
  if (consuming > nd) {
    throw InputError("too many indices for array: array is " + ::std::to_string(nd) + "-dimensional, but " +
                     ::std::to_string(consuming) + " were indexed");
  }
  // The index with the ellipsis and the missing trailing axes as whole slices.
  ::std::vector<Index> full;
  for (const Index& i : indices) {
    if (i.kind() != Index::Kind::ellipsis) {
      full.push_back(i);
      continue;
    }
    for (int k = 0; k < nd - consuming; ++k) full.emplace_back(all_of_axis);
  }
  if (ellipses == 0) {
    for (int k = consuming; k < nd; ++k) full.emplace_back(all_of_axis);
  }

  TokenHasher h;
  h.add(::std::string_view("getitem"));
  mix_input(h, in);
  InputMap map;
  map.fixed.assign(static_cast<::std::size_t>(nd), {0, 0});
  Shape shape;
  ChunkSizes chunks;
  bool identity = true;
  int axis = 0;
  int array_out_axis = -1;
  ::std::vector<int> advanced;  // positions in `full` of integers and the integer array
  auto add_axis = [&](int in_axis, ::std::vector<::std::int64_t> c, ::std::vector<::std::vector<Segment>> seg) {
    map.in_axis.push_back(in_axis);
    shape.push_back(::std::accumulate(c.begin(), c.end(), ::std::int64_t{0}));
    chunks.push_back(::std::move(c));
    map.seg.push_back(::std::move(seg));
  };
  for (::std::size_t k = 0; k < full.size(); ++k) {
    const Index& i = full[k];
    if (i.kind() == Index::Kind::newaxis) {
      identity = false;
      h.add(-1);
      add_axis(-1, {1}, {{Segment{0, 0, 0, 1, 0}}});
      continue;
    }
    const auto a = static_cast<::std::size_t>(axis);
    const ::std::int64_t n = in.shape[a];
    const auto& in_chunks = in.chunks[a];
    auto check = [&](::std::int64_t p) {
      if (p < -n || p >= n) {
        throw InputError("index " + ::std::to_string(p) + " is out of bounds for axis " + ::std::to_string(axis) +
                         " with size " + ::std::to_string(n));
      }
      return p < 0 ? p + n : p;
    };
    switch (i.kind()) {
      case Index::Kind::integer: {
        identity = false;
        advanced.push_back(static_cast<int>(k));
        const ::std::int64_t p = check(i.integer());
        const auto starts = chunk_starts(in_chunks);
        const ::std::size_t b = block_of(starts, p);
        map.fixed[a] = {static_cast<::std::int64_t>(b), p - starts[b]};
        h.add(-2);
        h.add(p);
        break;
      }
      case Index::Kind::slice: {
        const Slice& s = i.slice();
        if (s.step == 0) throw InputError("slice step cannot be zero (axis " + ::std::to_string(axis) + ")");
        // Python's slice.indices(n).
        const ::std::int64_t lower = s.step > 0 ? 0 : -1, upper = s.step > 0 ? n : n - 1;
        auto bound = [&](::std::optional<::std::int64_t> v, ::std::int64_t fallback) {
          if (!v) return fallback;
          return *v < 0 ? ::std::max(*v + n, lower) : ::std::min(*v, upper);
        };
        const ::std::int64_t start = bound(s.start, s.step > 0 ? lower : upper);
        const ::std::int64_t stop = bound(s.stop, s.step > 0 ? upper : lower);
        ::std::int64_t length = 0;
        if (s.step > 0 && stop > start) length = (stop - start - 1) / s.step + 1;
        if (s.step < 0 && start > stop) length = (start - stop - 1) / -s.step + 1;
        if (!(start == 0 && s.step == 1 && length == n)) identity = false;
        h.add(start);
        h.add(s.step);
        h.add(length);
        ::std::vector<::std::int64_t> c;
        ::std::vector<::std::vector<Segment>> seg;
        if (s.step == 1 && length > 0) {
          // Keep the input's chunk boundaries (aligned slices copy nothing).
          for (const Segment& r : slice_runs(start, 1, length, in_chunks)) {
            c.push_back(r.count);
            seg.push_back({r});
          }
        } else {
          group_runs(slice_runs(start, s.step, length, in_chunks), longest(in_chunks), c, seg);
        }
        add_axis(axis, ::std::move(c), ::std::move(seg));
        break;
      }
      case Index::Kind::positions: {
        identity = false;
        advanced.push_back(static_cast<int>(k));
        ::std::vector<::std::int64_t> positions;
        positions.reserve(i.positions().size());
        for (::std::int64_t p : i.positions()) positions.push_back(check(p));
        h.add(-3);
        h.add_bytes(::std::as_bytes(::std::span(positions)));
        ::std::vector<::std::int64_t> c;
        ::std::vector<::std::vector<Segment>> seg;
        positions_axis(positions, in_chunks, c, seg);
        array_out_axis = static_cast<int>(shape.size());
        add_axis(axis, ::std::move(c), ::std::move(seg));
        break;
      }
      default:
        break;
    }
    ++axis;
  }
  if (identity) return *this;
  // NumPy: an integer-array index and integers that are not next to each
  // other put the array's axis first.
  if (array_out_axis > 0 && advanced.size() > 1 && advanced.back() - advanced.front() + 1 != static_cast<int>(advanced.size())) {
    auto move_front = [&](auto& v) {
      ::std::rotate(v.begin(), v.begin() + array_out_axis, v.begin() + array_out_axis + 1);
    };
    move_front(map.in_axis);
    move_front(map.seg);
    move_front(shape);
    move_front(chunks);
    h.add(-4);
  }
  return rearranged("getitem", h.value(), in.dtype, ::std::move(shape), ::std::move(chunks), {expr_},
                    {::std::move(map)});
}

// ---- boolean masks ---------------------------------------------------------------

namespace detail {
namespace {

// x's blocks where the mask's block says true: output block (f, t...) reads
// x's block (lead(f), t...) and the mask's block lead(f), f the mask block's
// position in C order. Its length along the first axis is known once it ran.
class MaskLayer final : public BlockLayer {
 public:
  MaskLayer(Shape lead_grid, DType dtype) : lead_grid_(std::move(lead_grid)), dtype_(dtype) {}
  void inputs_of(std::span<const std::int64_t> block, std::vector<std::pair<int, Shape>>& out) const override {
    Shape lead(lead_grid_.size());
    std::int64_t rest = block[0];
    for (std::size_t d = lead.size(); d-- > 0;) {
      lead[d] = rest % lead_grid_[d];
      rest /= lead_grid_[d];
    }
    Shape x = lead;
    x.insert(x.end(), block.begin() + 1, block.end());
    out.emplace_back(0, std::move(x));
    out.emplace_back(1, std::move(lead));
  }
  Value run(std::span<const std::int64_t>, std::span<const Value* const> inputs) const override {
    const Buffer& x = block_buffer(*inputs[0]);
    const Buffer& mask = block_buffer(*inputs[1]);
    const std::size_t item = itemsize(dtype_);
    const std::size_t rows = mask.size();  // bool: one byte each
    const std::size_t row_bytes = rows == 0 ? 0 : x.size() / rows;
    const auto* keep = reinterpret_cast<const bool*>(mask.data());
    const auto kept = static_cast<std::size_t>(std::count(keep, keep + rows, true));
    Buffer out(kept * row_bytes);
    std::byte* dst = out.data();
    if (kept == 0) {
      // nothing kept
    } else if (row_bytes == item) {
      // One element a row (x[mask] with mask of x's shape): a branch-free pick.
      visit_dtype(dtype_, [&](auto t) {
        using T = decltype(t);
        const T* src = reinterpret_cast<const T*>(x.data());
        T* o = reinterpret_cast<T*>(dst);
        std::size_t n = 0;
        for (std::size_t r = 0; r < rows; ++r) {
          o[n] = src[r];
          n += keep[r] ? 1 : 0;
          if (n == kept) break;  // o[n] would be past the end
        }
      });
    } else {
      for (std::size_t r = 0; r < rows; ++r) {
        if (!keep[r]) continue;
        std::memcpy(dst, x.data() + r * row_bytes, row_bytes);
        dst += row_bytes;
      }
    }
    return Value::of(std::move(out));
  }

 private:
  Shape lead_grid_;
  DType dtype_;
};

}  // namespace

ExprPtr rechunked(const ExprPtr& e, const ChunkSizes& chunks) {
  if (e->chunks == chunks) return e;
  InputMap map;
  map.fixed.assign(e->shape.size(), {0, 0});
  TokenHasher h;
  h.add(std::string_view("rechunk"));
  mix_input(h, *e);
  for (std::size_t d = 0; d < chunks.size(); ++d) {
    map.in_axis.push_back(static_cast<int>(d));
    map.seg.push_back(spanning_segments(e->chunks[d], chunks[d]));
    for (std::int64_t c : chunks[d]) h.add(c);
  }
  return rearranged("rechunk", h.value(), e->dtype, e->shape, chunks, {e}, {std::move(map)}).expr();
}

}  // namespace detail

namespace detail {

ChunkSizes panel_chunks(const ArrayExpr& in, std::size_t lead) {
  std::int64_t block = 1, row = 1;
  for (std::size_t d = 0; d < lead; ++d) {
    block *= std::max(longest(in.chunks[d]), std::int64_t{1});
    if (d > 0) row *= in.shape[d];
  }
  const std::int64_t rows = std::max<std::int64_t>(1, block / std::max<std::int64_t>(row, 1));
  ChunkSizes out = in.chunks;
  out[0].clear();
  for (std::int64_t left = in.shape[0]; left > 0; left -= rows) out[0].push_back(std::min(rows, left));
  if (out[0].empty()) out[0].push_back(0);
  for (std::size_t d = 1; d < lead; ++d) out[d] = {in.shape[d]};
  return out;
}

}  // namespace detail

Array Array::ravel() const {
  const ArrayExpr& in = *expr_;
  bool panels = true;
  for (std::size_t d = 1; d < in.chunks.size(); ++d) panels = panels && in.chunks[d].size() <= 1;
  if (panels) return reshape({-1});
  // Dask rechunks here too: flattening needs blocks of whole rows.
  require_known(in, "ravel");
  return Array(rechunked(expr_, panel_chunks(in, in.shape.size()))).reshape({-1});
}

Array Array::rechunk(ChunkSpec chunks) const {
  const ArrayExpr& in = *expr_;
  require_known(in, "rechunk");
  return Array(rechunked(expr_, chunks.resolve(in.shape, in.dtype)));
}

Array Array::operator[](const Array& mask) const {
  const ArrayExpr& in = *expr_;
  const ArrayExpr& m = *mask.expr();
  if (m.dtype != DType::bool_) {
    throw InputError("x[mask] needs a boolean mask, not " + ::std::string(dtype_name(m.dtype)) +
                     "; to pick positions give a std::vector<std::int64_t>");
  }
  const ::std::size_t lead = m.shape.size();
  if (lead == 0 || lead > in.shape.size()) {
    throw InputError("boolean index of shape " + shape_str(m.shape) + " does not fit an array of shape " +
                     shape_str(in.shape));
  }
  for (::std::size_t d = 0; d < lead; ++d) {
    if (m.shape[d] != in.shape[d]) {
      throw InputError("boolean index did not match indexed array along axis " + ::std::to_string(d) +
                       "; the array's shape is " + shape_str(in.shape) + " but the mask's is " + shape_str(m.shape));
    }
  }
  // Cut both alike along the mask's axes. The result lists elements in C
  // order over those axes, as NumPy does, so blocks must be panels of whole
  // rows there: a mask over several axes cut along more than the first
  // rechunks x and mask into panels near their block size.
  ExprPtr x = expr_, keep = mask.expr();
  bool panels = true, same = true;
  for (::std::size_t d = 0; d < lead; ++d) {
    same = same && in.chunks[d] == m.chunks[d];
    if (d > 0) panels = panels && in.chunks[d].size() == 1 && m.chunks[d].size() == 1;
  }
  if (!panels || !same) {
    require_known(in, "x[mask] with x and mask cut differently");
    require_known(m, "x[mask] with x and mask cut differently");
    ChunkSizes lead_chunks(lead);
    if (!panels) {
      const ChunkSizes whole = panel_chunks(in, lead);
      ::std::copy(whole.begin(), whole.begin() + static_cast<::std::ptrdiff_t>(lead), lead_chunks.begin());
    } else {
      const std::vector<std::int64_t>* both[] = {&in.chunks[0], &m.chunks[0]};
      lead_chunks[0] = union_of_chunks(both, in.shape[0]);
    }
    ChunkSizes xc = in.chunks;
    ::std::copy(lead_chunks.begin(), lead_chunks.end(), xc.begin());
    x = rechunked(x, xc);
    keep = rechunked(keep, lead_chunks);
  }
  const Shape lead_grid = grid_of(keep->chunks);
  const ::std::int64_t blocks = product(lead_grid);
  Shape shape{-1};
  ChunkSizes chunks{::std::vector<::std::int64_t>(static_cast<::std::size_t>(blocks), -1)};
  for (::std::size_t d = lead; d < in.shape.size(); ++d) {
    shape.push_back(in.shape[d]);
    chunks.push_back(x->chunks[d]);
  }
  TokenHasher h;
  h.add(::std::string_view("getitem-mask"));
  mix_input(h, *x);
  mix_input(h, *keep);
  auto e = make_expr(ExprKind::layer, in.dtype, ::std::move(shape), ::std::move(chunks), "getitem", h.value());
  e->layer = ::std::make_shared<MaskLayer>(lead_grid, in.dtype);
  e->inputs = {x, keep};
  return Array(::std::move(e));
}

// ---- transpose --------------------------------------------------------------------------

Array Array::transpose(::std::vector<int> axes) const {
  const ArrayExpr& in = *expr_;
  require_known(in, "transpose");
  const int nd = ndim();
  if (axes.empty()) {
    for (int d = nd - 1; d >= 0; --d) axes.push_back(d);
  }
  ::std::vector<bool> seen(static_cast<::std::size_t>(nd), false);
  ::std::string given;
  for (int a : axes) given += (given.empty() ? "" : ", ") + ::std::to_string(a);
  if (static_cast<int>(axes.size()) != nd) {
    throw InputError("transpose: axes (" + given + ") don't match array of dimension " + ::std::to_string(nd));
  }
  for (int& a : axes) {
    a = normalize_axis(a, nd, "transpose");
    if (seen[static_cast<::std::size_t>(a)]) throw InputError("transpose: repeated axis in (" + given + ")");
    seen[static_cast<::std::size_t>(a)] = true;
  }
  bool identity = true;
  for (int d = 0; d < nd; ++d) identity = identity && axes[static_cast<::std::size_t>(d)] == d;
  if (identity) return *this;
  InputMap map;
  map.fixed.assign(static_cast<::std::size_t>(nd), {0, 0});
  Shape shape;
  ChunkSizes chunks;
  TokenHasher h;
  h.add(::std::string_view("transpose"));
  mix_input(h, in);
  for (int a : axes) {
    const auto& c = in.chunks[static_cast<::std::size_t>(a)];
    h.add(a);
    map.in_axis.push_back(a);
    map.seg.push_back(identity_segments(c));
    shape.push_back(in.shape[static_cast<::std::size_t>(a)]);
    chunks.push_back(c);
  }
  return rearranged("transpose", h.value(), in.dtype, ::std::move(shape), ::std::move(chunks), {expr_},
                    {::std::move(map)});
}

Array Array::swapaxes(int axis1, int axis2) const {
  const int nd = ndim();
  const int a = normalize_axis(axis1, nd, "swapaxes"), b = normalize_axis(axis2, nd, "swapaxes");
  ::std::vector<int> axes(static_cast<::std::size_t>(nd));
  ::std::iota(axes.begin(), axes.end(), 0);
  ::std::swap(axes[static_cast<::std::size_t>(a)], axes[static_cast<::std::size_t>(b)]);
  return transpose(::std::move(axes));
}

// ---- concatenate and stack ---------------------------------------------------------------

namespace {

// The arrays cast to their common dtype.
std::vector<ExprPtr> common_inputs(const std::vector<Array>& arrays, DType& dtype) {
  dtype = arrays[0].dtype();
  for (const Array& a : arrays) {
    require_known(*a.expr(), "concatenate/stack");
    dtype = promote_types(dtype, a.dtype());
  }
  std::vector<ExprPtr> inputs;
  for (const Array& a : arrays) inputs.push_back(a.astype(dtype).expr());
  return inputs;
}

}  // namespace

Array concatenate(const std::vector<Array>& arrays, int axis) {
  if (arrays.empty()) throw InputError("need at least one array to concatenate");
  const int nd = arrays[0].ndim();
  if (nd == 0) throw InputError("zero-dimensional arrays cannot be concatenated");
  const int ax = normalize_axis(axis, nd, "concatenate");
  for (std::size_t i = 1; i < arrays.size(); ++i) {
    const Shape& a = arrays[0].shape();
    const Shape& b = arrays[i].shape();
    bool ok = b.size() == a.size();
    for (std::size_t d = 0; ok && d < a.size(); ++d) ok = static_cast<int>(d) == ax || a[d] == b[d];
    if (!ok) {
      throw InputError("concatenate along axis " + std::to_string(ax) + ": the array at index 0 has shape " +
                       shape_str(a) + " but the array at index " + std::to_string(i) + " has shape " + shape_str(b) +
                       " (all axes but the concatenation axis must match)");
    }
  }
  if (arrays.size() == 1) return arrays[0];
  DType dtype;
  std::vector<ExprPtr> inputs = common_inputs(arrays, dtype);
  Shape shape = arrays[0].shape();
  shape[static_cast<std::size_t>(ax)] = 0;
  ChunkSizes chunks(static_cast<std::size_t>(nd));
  for (int d = 0; d < nd; ++d) {
    const auto du = static_cast<std::size_t>(d);
    if (d == ax) {
      for (const ExprPtr& in : inputs) {
        shape[du] += in->shape[du];
        chunks[du].insert(chunks[du].end(), in->chunks[du].begin(), in->chunks[du].end());
      }
      continue;
    }
    std::vector<const std::vector<std::int64_t>*> axes;
    for (const ExprPtr& in : inputs) axes.push_back(&in->chunks[du]);
    chunks[du] = union_of_chunks(axes, shape[du]);
  }
  TokenHasher h;
  h.add(std::string_view("concatenate"));
  h.add(ax);
  std::vector<InputMap> maps;
  std::size_t first_chunk = 0;
  for (const ExprPtr& in : inputs) {
    mix_input(h, *in);
    InputMap m;
    m.fixed.assign(static_cast<std::size_t>(nd), {0, 0});
    for (int d = 0; d < nd; ++d) {
      const auto du = static_cast<std::size_t>(d);
      m.in_axis.push_back(d);
      if (d != ax) {
        m.seg.push_back(spanning_segments(in->chunks[du], chunks[du]));
        continue;
      }
      std::vector<std::vector<Segment>> seg(chunks[du].size());
      const auto own = identity_segments(in->chunks[du]);
      std::copy(own.begin(), own.end(), seg.begin() + static_cast<std::ptrdiff_t>(first_chunk));
      first_chunk += own.size();
      m.seg.push_back(std::move(seg));
    }
    maps.push_back(std::move(m));
  }
  return rearranged("concatenate", h.value(), dtype, std::move(shape), std::move(chunks), inputs, std::move(maps));
}

Array stack(const std::vector<Array>& arrays, int axis) {
  if (arrays.empty()) throw InputError("need at least one array to stack");
  const int nd = arrays[0].ndim() + 1;
  const int ax = normalize_axis(axis, nd, "stack");
  for (std::size_t i = 1; i < arrays.size(); ++i) {
    if (arrays[i].shape() != arrays[0].shape()) {
      throw InputError("stack: all input arrays must have the same shape: the array at index 0 has shape " +
                       shape_str(arrays[0].shape()) + " but the array at index " + std::to_string(i) + " has shape " +
                       shape_str(arrays[i].shape()));
    }
  }
  DType dtype;
  std::vector<ExprPtr> inputs = common_inputs(arrays, dtype);
  Shape shape = arrays[0].shape();
  shape.insert(shape.begin() + ax, static_cast<std::int64_t>(arrays.size()));
  ChunkSizes chunks;
  for (int d = 0; d < nd - 1; ++d) {
    std::vector<const std::vector<std::int64_t>*> axes;
    for (const ExprPtr& in : inputs) axes.push_back(&in->chunks[static_cast<std::size_t>(d)]);
    chunks.push_back(union_of_chunks(axes, arrays[0].shape()[static_cast<std::size_t>(d)]));
  }
  chunks.insert(chunks.begin() + ax, std::vector<std::int64_t>(arrays.size(), 1));
  TokenHasher h;
  h.add(std::string_view("stack"));
  h.add(ax);
  std::vector<InputMap> maps;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const ArrayExpr& in = *inputs[i];
    mix_input(h, in);
    InputMap m;
    m.fixed.assign(static_cast<std::size_t>(nd - 1), {0, 0});
    int in_axis = 0;
    for (int d = 0; d < nd; ++d) {
      if (d == ax) {
        m.in_axis.push_back(-1);
        std::vector<std::vector<Segment>> seg(arrays.size());
        seg[i] = {Segment{0, 0, 0, 1, 0}};
        m.seg.push_back(std::move(seg));
        continue;
      }
      m.in_axis.push_back(in_axis);
      m.seg.push_back(spanning_segments(in.chunks[static_cast<std::size_t>(in_axis)], chunks[static_cast<std::size_t>(d)]));
      ++in_axis;
    }
    maps.push_back(std::move(m));
  }
  return rearranged("stack", h.value(), dtype, std::move(shape), std::move(chunks), inputs, std::move(maps));
}

// ---- reshape -----------------------------------------------------------------------------

namespace detail {
namespace {

// Output block b is input block in_block(b): the same elements in C order.
class ReshapeLayer final : public BlockLayer {
 public:
  explicit ReshapeLayer(std::vector<int> out_axis_of_in) : out_axis_of_in_(std::move(out_axis_of_in)) {}
  void inputs_of(std::span<const std::int64_t> block, std::vector<std::pair<int, Shape>>& out) const override {
    Shape in(out_axis_of_in_.size(), 0);
    for (std::size_t a = 0; a < in.size(); ++a) {
      if (out_axis_of_in_[a] >= 0) in[a] = block[static_cast<std::size_t>(out_axis_of_in_[a])];
    }
    out.emplace_back(0, std::move(in));
  }
  Value run(std::span<const std::int64_t>, std::span<const Value* const> inputs) const override { return *inputs[0]; }

 private:
  std::vector<int> out_axis_of_in_;
};

std::string axes_str(std::size_t from, std::size_t to) {
  return to - from == 1 ? "axis " + std::to_string(from)
                        : "axes " + std::to_string(from) + ".." + std::to_string(to - 1);
}

}  // namespace
}  // namespace detail

Array Array::reshape(Shape shape) const {
  const ArrayExpr& in = *expr_;
  require_known(in, "reshape");
  std::string given = "(";  // as the caller wrote it, -1 included
  for (std::size_t d = 0; d < shape.size(); ++d) given += (d ? ", " : "") + std::to_string(shape[d]);
  given += shape.size() == 1 ? ",)" : ")";
  const std::int64_t size = product(in.shape);
  int unknown = -1;
  std::int64_t known = 1;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == -1) {
      if (unknown >= 0) throw InputError("reshape: can only specify one unknown dimension in " + given);
      unknown = static_cast<int>(d);
    } else if (shape[d] < 0) {
      throw InputError("reshape: negative dimension in " + given);
    } else {
      known *= shape[d];
    }
  }
  if (unknown >= 0 && known > 0 && size % known == 0) shape[static_cast<std::size_t>(unknown)] = size / known;
  if ((unknown >= 0 && (known == 0 || size % known != 0)) || product(shape) != size) {
    throw InputError("cannot reshape array of size " + std::to_string(size) + " into shape " + given);
  }
  if (shape == in.shape) return *this;
  const std::string what = "reshape from " + shape_str(in.shape) + " to " + shape_str(shape);
  if (size == 0) {
    ChunkSizes whole;
    for (std::int64_t s : shape) whole.push_back({s});
    return zeros(std::move(shape), {ChunkSpec(std::move(whole)), in.dtype});
  }
  // Match groups of input and output axes of equal size (axes of length 1 aside).
  std::vector<std::size_t> ia, oa;
  for (std::size_t a = 0; a < in.shape.size(); ++a) {
    if (in.shape[a] != 1) ia.push_back(a);
  }
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] != 1) oa.push_back(d);
  }
  ChunkSizes chunks(shape.size());
  for (std::size_t d = 0; d < shape.size(); ++d) chunks[d] = {shape[d]};
  std::vector<int> out_axis_of_in(in.shape.size(), -1);
  std::size_t i = 0, o = 0;
  while (i < ia.size()) {
    const std::size_t i0 = i, o0 = o;
    std::int64_t pi = in.shape[ia[i++]], po = shape[oa[o++]];
    while (pi != po) {
      if (pi < po) pi *= in.shape[ia[i++]];
      else po *= shape[oa[o++]];
    }
    // Inputs after the group's first axis must be whole chunks, and each
    // chunk of the first must hold whole rows of the output axes after its first.
    for (std::size_t k = i0 + 1; k < i; ++k) {
      if (in.chunks[ia[k]].size() > 1) {
        throw InputError(what + ": input axis " + std::to_string(ia[k]) + " is cut into " +
                         std::to_string(in.chunks[ia[k]].size()) + " chunks, but it merges with input " +
                         axes_str(ia[i0], ia[k]) + " into output " + axes_str(oa[o0], oa[o - 1] + 1) +
                         "; each chunk must span input axes after the first whole (rechunk first)");
      }
    }
    std::int64_t inner_in = 1, inner_out = 1;
    for (std::size_t k = i0 + 1; k < i; ++k) inner_in *= in.shape[ia[k]];
    for (std::size_t k = o0 + 1; k < o; ++k) inner_out *= shape[oa[k]];
    std::vector<std::int64_t> first;
    for (std::int64_t c : in.chunks[ia[i0]]) {
      if (c * inner_in % inner_out != 0) {
        std::string sizes;
        for (std::int64_t s : in.chunks[ia[i0]]) sizes += (sizes.empty() ? "" : ", ") + std::to_string(s);
        throw InputError(what + ": the chunks of input axis " + std::to_string(ia[i0]) + " (" + sizes +
                         ") do not hold whole rows of output " + axes_str(oa[o0] + 1, oa[o - 1] + 1) + " (" +
                         std::to_string(inner_out) + " elements each); rechunk first");
      }
      first.push_back(c * inner_in / inner_out);
    }
    chunks[oa[o0]] = std::move(first);
    out_axis_of_in[ia[i0]] = static_cast<int>(oa[o0]);
  }
  TokenHasher h;
  h.add(std::string_view("reshape"));
  mix_input(h, in);
  for (std::int64_t s : shape) h.add(s);
  auto e = make_expr(ExprKind::layer, in.dtype, std::move(shape), std::move(chunks), "reshape", h.value());
  e->layer = std::make_shared<ReshapeLayer>(std::move(out_axis_of_in));
  e->inputs = {expr_};
  return Array(std::move(e));
}

}  // namespace tessera::array
