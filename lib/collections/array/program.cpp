// Compiling a chain of elementwise nodes into one Program, and running it over
// one output block tile by tile. Each instruction writes a tile of at most
// 1,024 elements into its own scratch row (reused across tiles and tasks on
// the thread), so a chain of k operators reads each input element once and
// writes each output element once, whatever k (STYLE.md §8.4). Leaves that
// are laid out like the output are read in place; broadcast leaves (stride 0)
// are filled into their row; casts NumPy's promotion needs are instructions
// of their own.
#include "collections/array/expr.hpp"

#include <tessera/error.hpp>
#include <tessera/token.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <unordered_set>

namespace tessera::array::detail {

std::vector<std::int64_t> chunk_starts(const std::vector<std::int64_t>& sizes) {
  std::vector<std::int64_t> starts(sizes.size() + 1, 0);
  for (std::size_t i = 0; i < sizes.size(); ++i) starts[i + 1] = starts[i] + sizes[i];
  return starts;
}

std::vector<std::int64_t> union_of_chunks(std::span<const std::vector<std::int64_t>* const> axes, std::int64_t length) {
  std::vector<std::int64_t> bounds{0, length};
  for (const auto* chunks : axes) {
    const auto starts = chunk_starts(*chunks);
    bounds.insert(bounds.end(), starts.begin(), starts.end());
  }
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i + 1 < bounds.size(); ++i) out.push_back(bounds[i + 1] - bounds[i]);
  if (out.empty()) out.push_back(length);
  return out;
}

Shape grid_of(const ChunkSizes& chunks) {
  Shape grid;
  grid.reserve(chunks.size());
  for (const auto& axis : chunks) grid.push_back(static_cast<std::int64_t>(axis.size()));
  return grid;
}

std::int64_t linear_index(std::span<const std::int64_t> index, std::span<const std::int64_t> grid) {
  std::int64_t linear = 0;
  for (std::size_t d = 0; d < grid.size(); ++d) linear = linear * grid[d] + index[d];
  return linear;
}

Shape block_shape(const ChunkSizes& chunks, std::span<const std::int64_t> block) {
  Shape shape(chunks.size());
  for (std::size_t d = 0; d < chunks.size(); ++d) shape[d] = chunks[d][static_cast<std::size_t>(block[d])];
  return shape;
}

Shape block_offset(const ChunkSizes& chunks, std::span<const std::int64_t> block) {
  Shape offset(chunks.size(), 0);
  for (std::size_t d = 0; d < chunks.size(); ++d) {
    for (std::int64_t i = 0; i < block[d]; ++i) offset[d] += chunks[d][static_cast<std::size_t>(i)];
  }
  return offset;
}

std::int64_t product(std::span<const std::int64_t> shape) {
  std::int64_t p = 1;
  for (std::int64_t s : shape) p *= s;
  return p;
}

std::string shape_str(std::span<const std::int64_t> shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += shape[i] < 0 ? std::string("nan") : std::to_string(shape[i]);  // unknown, as Dask prints it
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

const Buffer& block_buffer(const Value& v) { return v.get<Buffer>(); }

void resolve_unknown(Shape& block, std::uint64_t nbytes, DType dtype) {
  std::int64_t known = 1;
  std::size_t unknown = block.size();
  for (std::size_t d = 0; d < block.size(); ++d) {
    if (block[d] < 0) unknown = d;
    else known *= block[d];
  }
  if (unknown == block.size()) return;
  const auto elements = static_cast<std::int64_t>(nbytes / itemsize(dtype));
  block[unknown] = known == 0 ? 0 : elements / known;
}

bool has_unknown(const ChunkSizes& chunks) {
  for (const auto& axis : chunks) {
    for (std::int64_t c : axis) {
      if (c < 0) return true;
    }
  }
  return false;
}

void require_known(const ArrayExpr& e, std::string_view op) {
  if (!has_unknown(e.chunks)) return;
  throw InputError(std::string(op) + " needs known chunk lengths, but the array of shape " + shape_str(e.shape) +
                   " has unknown ones (a boolean mask's result): persist() it first to learn them");
}

ChunkSizes known_chunks(const ChunkSizes& chunks, DType dtype, std::span<const std::uint64_t> block_nbytes) {
  if (!has_unknown(chunks)) return chunks;
  ChunkSizes out = chunks;
  const Shape grid = grid_of(chunks);
  Shape index(grid.size(), 0);
  for (std::uint64_t nbytes : block_nbytes) {
    Shape shape = block_shape(chunks, index);
    resolve_unknown(shape, nbytes, dtype);
    for (std::size_t d = 0; d < shape.size(); ++d) out[d][static_cast<std::size_t>(index[d])] = shape[d];
    next_index(index, grid);
  }
  return out;
}

namespace {

bool scalar_fits(const Scalar& s, DType d) {
  if (s.kind != Scalar::Kind::integer) return true;
  return visit_dtype(d, [&](auto t) {
    using T = decltype(t);
    if constexpr (std::is_same_v<T, bool> || std::is_floating_point_v<T>) {
      return true;
    } else {
      return s.i >= static_cast<std::int64_t>(std::numeric_limits<T>::min()) &&
             (s.i < 0 || static_cast<std::uint64_t>(s.i) <= static_cast<std::uint64_t>(std::numeric_limits<T>::max()));
    }
  });
}

}  // namespace

/// The dtype a weak scalar takes next to an array of dtype `other` (NumPy's
/// value-based rule for Python scalars: the array's dtype when the kind
/// allows and the value fits).
DType scalar_dtype(const Scalar& s, std::optional<DType> other) {
  const DType own = s.kind == Scalar::Kind::boolean ? DType::bool_
                    : s.kind == Scalar::Kind::integer ? DType::int64
                                                      : DType::float64;
  if (!other) return own;
  const DType d = *other;
  switch (s.kind) {
    case Scalar::Kind::boolean: return d;
    case Scalar::Kind::integer:
      if (d == DType::bool_) return DType::int64;
      return scalar_fits(s, d) ? d : promote_types(d, DType::int64);
    case Scalar::Kind::floating: return is_float(d) ? d : DType::float64;
  }
  return own;
}

namespace {

class Compiler {
 public:
  explicit Compiler(Program& p) : p_(p) {}

  int visit(const ExprPtr& e) {
    if (auto it = done_.find(e.get()); it != done_.end()) return it->second;
    int result;
    if (e->kind != ExprKind::elementwise) {
      int leaf = -1;
      for (std::size_t l = 0; l < p_.leaves.size(); ++l) {
        if (p_.leaves[l].get() == e.get()) leaf = static_cast<int>(l);
      }
      if (leaf < 0) {
        leaf = static_cast<int>(p_.leaves.size());
        p_.leaves.push_back(e);
      }
      Instr in{Instr::Kind::leaf, e->dtype};
      in.leaf = leaf;
      result = add(in);
    } else {
      result = visit_elementwise(*e);
    }
    done_.emplace(e.get(), result);
    return result;
  }

 private:
  int add(Instr in) {
    p_.instrs.push_back(in);
    return static_cast<int>(p_.instrs.size()) - 1;
  }
  int scalar(const Scalar& s, DType dtype) {
    Instr in{Instr::Kind::scalar, dtype};
    in.f = s.f;
    in.i = s.i;
    return add(in);
  }
  int cast(int from, DType to) {
    if (p_.instrs[static_cast<std::size_t>(from)].dtype == to) return from;
    if (p_.instrs[static_cast<std::size_t>(from)].kind == Instr::Kind::scalar) {
      Instr in = p_.instrs[static_cast<std::size_t>(from)];
      in.dtype = to;
      return add(in);
    }
    Instr in{Instr::Kind::cast, to};
    in.a = from;
    return add(in);
  }
  // An operand as an instruction of dtype `to` (scalars take it directly).
  int operand(const ElemOperand& o, DType to) {
    if (o.scalar) return scalar(*o.scalar, to);
    return cast(visit(o.expr), to);
  }
  static std::optional<DType> array_dtype(const ElemOperand& o) {
    if (o.expr) return o.expr->dtype;
    return std::nullopt;
  }
  static DType operand_dtype(const ElemOperand& o, std::optional<DType> other) {
    return o.expr ? o.expr->dtype : scalar_dtype(*o.scalar, other);
  }

  int visit_elementwise(const ArrayExpr& e) {
    const auto& ops = e.operands;
    switch (e.elem) {
      case ElemKind::cast: return cast(visit(ops[0].expr), e.dtype);
      case ElemKind::unary: {
        const DType compute = unary_compute(e.unary_op, ops[0].expr->dtype);
        Instr in{Instr::Kind::unary, e.dtype};
        in.unary_op = e.unary_op;
        in.a = cast(visit(ops[0].expr), compute);
        return add(in);
      }
      case ElemKind::binary: {
        const DType da = operand_dtype(ops[0], array_dtype(ops[1]));
        const DType db = operand_dtype(ops[1], array_dtype(ops[0]));
        const DType compute = binary_compute(e.binary_op, da, db);
        Instr in{Instr::Kind::binary, e.dtype};
        in.binary_op = e.binary_op;
        in.a = operand(ops[0], compute);
        in.b = operand(ops[1], compute);
        return add(in);
      }
      case ElemKind::where: {
        Instr in{Instr::Kind::where, e.dtype};
        in.c = operand(ops[0], DType::bool_);
        in.a = operand(ops[1], e.dtype);
        in.b = operand(ops[2], e.dtype);
        return add(in);
      }
    }
    return -1;
  }

  Program& p_;
  std::unordered_map<const ArrayExpr*, int> done_;
};

std::vector<AxisMap> leaf_axis_maps(const Program& p, const ArrayExpr& leaf) {
  const std::size_t nd = p.shape.size();
  const std::size_t lnd = leaf.shape.size();
  std::vector<AxisMap> maps(nd);
  for (std::size_t d = 0; d < nd; ++d) {
    AxisMap& m = maps[d];
    if (d + lnd < nd) {
      m.broadcast = true;
      continue;
    }
    const std::size_t ld = d + lnd - nd;
    if (leaf.shape[ld] == 1 && p.shape[d] != 1) {
      m.broadcast = true;
      continue;
    }
    if (p.shape[d] < 0) {  // unknown lengths: the operands' chunks match one to one (checked when built)
      for (std::size_t c = 0; c < p.chunks[d].size(); ++c) {
        m.block.push_back(static_cast<std::int64_t>(c));
        m.offset.push_back(0);
      }
      continue;
    }
    const auto out_starts = chunk_starts(p.chunks[d]);
    const auto leaf_starts = chunk_starts(leaf.chunks[ld]);
    std::size_t lb = 0;
    for (std::size_t c = 0; c < p.chunks[d].size(); ++c) {
      while (lb + 1 < leaf.chunks[ld].size() && leaf_starts[lb + 1] <= out_starts[c]) ++lb;
      m.block.push_back(static_cast<std::int64_t>(lb));
      m.offset.push_back(out_starts[c] - leaf_starts[lb]);
    }
  }
  return maps;
}

bool depends_on(const ArrayExpr& e, const ArrayExpr& source, std::unordered_set<const ArrayExpr*>& seen) {
  if (e.name == source.name && e.token == source.token) return true;
  if (!seen.insert(&e).second) return false;
  for (const ExprPtr& input : e.inputs) {
    if (depends_on(*input, source, seen)) return true;
  }
  for (const ElemOperand& o : e.operands) {
    if (o.expr && depends_on(*o.expr, source, seen)) return true;
  }
  return false;
}

// Whether an output block of `p` that reads `source` waits only for a few
// blocks of `source` before reduction `r` (which reads `source`) gives it
// its operand: r reduces trailing axes with keepdims, so its groups line up
// with the output's blocks and a group is a small band of consecutive blocks.
bool waits_for_few(const Program& p, const ArrayExpr& r, const ArrayExpr& source) {
  const ArrayExpr& in = *r.inputs[0];
  if (!r.reduction.keepdims || in.shape != p.shape || source.shape != p.shape) return false;
  const auto nd = static_cast<int>(p.shape.size());
  const auto& axes = r.reduction.axes;
  for (std::size_t k = 0; k < axes.size(); ++k) {
    if (axes[k] != nd - static_cast<int>(axes.size()) + static_cast<int>(k)) return false;
  }
  const Shape grid = grid_of(source.chunks);
  std::int64_t group = 1;
  for (int a : axes) group *= grid[static_cast<std::size_t>(a)];
  return group * 4 <= product(grid);
}

// x - x.mean(axis=1) from a file: the means broadcast along the other axis,
// so every output block waits for the whole reduction, and holding the
// first read's blocks meanwhile would keep all of x in memory (3 GB for W2).
// Such a leaf is read a second time, under its own keys, in the output's
// blocks (each read is then used at once, into reused memory); its first
// read's blocks go as soon as the reduction has them. A second read from the
// page cache costs far less than first-touching (or spilling) the whole array.
void read_again_where_held(Program& p) {
  for (ExprPtr& leaf : p.leaves) {
    if (leaf->kind != ExprKind::layer || !leaf->layer || !leaf->inputs.empty()) continue;
    const ChunkSizes& chunks = leaf->shape == p.shape ? p.chunks : leaf->chunks;
    auto layer = leaf->layer->read_again(chunks);
    if (!layer) continue;
    const bool held = std::any_of(p.leaves.begin(), p.leaves.end(), [&](const ExprPtr& other) {
      std::unordered_set<const ArrayExpr*> seen;
      if (other == leaf || !depends_on(*other, *leaf, seen)) return false;
      return other->kind != ExprKind::reduction || !waits_for_few(p, *other, *leaf);
    });
    if (!held) continue;
    TokenHasher token;
    token.mix(leaf->token);
    token.add(std::string_view("again"));
    for (const auto& axis : chunks) {
      token.add(static_cast<std::int64_t>(axis.size()));
      for (std::int64_t c : axis) token.add(c);
    }
    auto again = make_expr(ExprKind::layer, leaf->dtype, leaf->shape, chunks,
                           std::string(leaf->name.str()) + "-again", token.value());
    again->layer = std::move(layer);
    again->content = leaf->content;
    leaf = std::move(again);
  }
}

// Scratch rows, one set per running ProgramRun on a thread, reused.
thread_local std::vector<std::vector<std::byte>> scratch_pool;

}  // namespace

Program compile(const ExprPtr& root) {
  Program p;
  p.dtype = root->dtype;
  p.shape = root->shape;
  p.chunks = root->chunks;
  p.token = root->token;
  Compiler(p).visit(root);
  read_again_where_held(p);
  for (const ExprPtr& leaf : p.leaves) p.leaf_maps.push_back(leaf_axis_maps(p, *leaf));
  return p;
}

void leaf_inputs(const Program& program, std::span<const std::int64_t> block,
                 std::vector<std::pair<int, Shape>>& out) {
  for (std::size_t l = 0; l < program.leaves.size(); ++l) {
    const ArrayExpr& leaf = *program.leaves[l];
    const auto& maps = program.leaf_maps[l];
    Shape index(leaf.shape.size(), 0);
    const std::size_t shift = program.shape.size() - leaf.shape.size();
    for (std::size_t ld = 0; ld < leaf.shape.size(); ++ld) {
      const AxisMap& m = maps[ld + shift];
      index[ld] = m.broadcast ? 0 : m.block[static_cast<std::size_t>(block[ld + shift])];
    }
    out.emplace_back(static_cast<int>(l), std::move(index));
  }
}

namespace {

std::vector<std::span<const std::byte>> bytes_of(std::span<const Value* const> inputs) {
  std::vector<std::span<const std::byte>> out;
  out.reserve(inputs.size());
  for (const Value* v : inputs) {
    const Buffer& b = block_buffer(*v);
    out.emplace_back(b.data(), b.size());
  }
  return out;
}

}  // namespace

ProgramRun::ProgramRun(const Program& program, std::span<const std::int64_t> block,
                       std::span<const Value* const> inputs)
    : ProgramRun(program, block, bytes_of(inputs), RowWindow{}, {}) {}

ProgramRun::ProgramRun(const Program& program, std::span<const std::int64_t> block,
                       std::span<const std::span<const std::byte>> leaf_bytes, RowWindow window,
                       std::span<const std::uint8_t> windowed)
    : program_(program), shape_(block_shape(program.chunks, block)) {
  const std::size_t nd = shape_.size();
  const bool whole = window.count < 0 || nd == 0;
  std::vector<bool> unknown(nd);
  for (std::size_t d = 0; d < nd; ++d) unknown[d] = shape_[d] < 0;
  if (!whole) shape_[0] = window.count;
  std::vector<Shape> lshapes;
  for (std::size_t l = 0; l < program.leaves.size(); ++l) {
    const ArrayExpr& leaf = *program.leaves[l];
    const auto& maps = program.leaf_maps[l];
    const std::size_t shift = nd - leaf.shape.size();
    Shape lblock(leaf.shape.size(), 0);
    for (std::size_t ld = 0; ld < leaf.shape.size(); ++ld) {
      const AxisMap& m = maps[ld + shift];
      lblock[ld] = m.broadcast ? 0 : m.block[static_cast<std::size_t>(block[ld + shift])];
    }
    Shape lshape = block_shape(leaf.chunks, lblock);
    if (!whole && l < windowed.size() && windowed[l]) lshape[0] = window.count;
    resolve_unknown(lshape, leaf_bytes[l].size(), leaf.dtype);
    lshapes.push_back(std::move(lshape));
  }
  // Unknown lengths (boolean-mask results) are known only here. Operands cut
  // alike there must agree block for block, and a length-1 operand that is
  // one block along the axis broadcasts as NumPy's would; anything else is
  // NumPy's broadcast error, not a read past a block's end.
  std::vector<std::vector<bool>> stretched(program.leaves.size(), std::vector<bool>(nd, false));
  for (std::size_t d = 0; d < nd; ++d) {
    if (!unknown[d]) continue;
    auto length_of = [&](std::size_t l) -> std::int64_t {  // -1: the leaf does not reach axis d
      const std::size_t shift = nd - program.leaves[l]->shape.size();
      return d < shift || program.leaf_maps[l][d].broadcast ? -1 : lshapes[l][d - shift];
    };
    std::int64_t length = -1;
    std::size_t from = 0;
    auto mismatch = [&](std::size_t l) {
      return InputError("operands could not be broadcast together with shapes " + shape_str(lshapes[from]) + " " +
                        shape_str(lshapes[l]) + " (block " + shape_str(Shape(block.begin(), block.end())) +
                        " of arrays whose lengths were unknown until computed, as boolean-mask results)");
    };
    for (std::size_t l = 0; l < program.leaves.size(); ++l) {
      const std::int64_t n = length_of(l);
      if (n < 0) continue;
      if (length < 0 || (length == 1 && n != 1)) {
        length = n;
        from = l;
      } else if (n != 1 && n != length) {
        throw mismatch(l);
      }
    }
    for (std::size_t l = 0; l < program.leaves.size(); ++l) {
      if (length_of(l) != 1 || length == 1) continue;
      const std::size_t shift = nd - program.leaves[l]->shape.size();
      if (program.leaves[l]->chunks[d - shift].size() != 1) throw mismatch(l);
      stretched[l][d] = true;
    }
    shape_[d] = length;
  }
  Shape out_strides(nd, 1);
  for (std::size_t d = nd; d-- > 1;) out_strides[d - 1] = out_strides[d] * shape_[d];
  for (std::size_t l = 0; l < program.leaves.size(); ++l) {
    const ArrayExpr& leaf = *program.leaves[l];
    const auto& maps = program.leaf_maps[l];
    const std::size_t shift = nd - leaf.shape.size();
    const Shape& lshape = lshapes[l];
    const bool leaf_windowed = !whole && l < windowed.size() && windowed[l];
    Shape lstrides(lshape.size(), 1);
    for (std::size_t d = lshape.size(); d-- > 1;) lstrides[d - 1] = lstrides[d] * lshape[d];
    LeafBlock lb;
    const std::span<const std::byte> bytes = leaf_bytes[l];
    lb.data = bytes.data();
    lb.dtype = leaf.dtype;
    lb.strides.assign(nd, 0);
    for (std::size_t d = shift; d < nd; ++d) {
      const AxisMap& m = maps[d];
      if (m.broadcast || stretched[l][d]) continue;
      lb.strides[d] = lstrides[d - shift];
      std::int64_t start = m.offset[static_cast<std::size_t>(block[d])];
      // The window's first row, unless the leaf's bytes start there already.
      if (d == 0 && !whole) start = leaf_windowed ? 0 : start + window.first;
      lb.base += start * lb.strides[d];
    }
    if (static_cast<std::int64_t>(bytes.size()) < product(lshape) * static_cast<std::int64_t>(itemsize(leaf.dtype))) {
      throw Error("array block of " + std::to_string(bytes.size()) + " bytes is smaller than its shape " +
                  shape_str(lshape) + " of " + std::string(dtype_name(leaf.dtype)) + " needs");
    }
    if (lb.base != 0 || lb.strides != out_strides) flat_ = false;
    leaves_.push_back(std::move(lb));
  }
  // Scratch: one tile row of 8-byte elements per instruction.
  const std::size_t need = program.instrs.size() * static_cast<std::size_t>(tile) * 8;
  if (!scratch_pool.empty()) {
    rows_ = std::move(scratch_pool.back());
    scratch_pool.pop_back();
  }
  if (rows_.size() < need) rows_.resize(need);
  scratch_ = rows_.data();
  results_.assign(program.instrs.size(), nullptr);
  filled_from_.assign(program.instrs.size(), nullptr);
  filled_n_.assign(program.instrs.size(), 0);
  for (std::size_t k = 0; k < program.instrs.size(); ++k) {
    const Instr& in = program.instrs[k];
    if (in.kind != Instr::Kind::scalar) continue;
    std::byte* row = scratch_ + k * static_cast<std::size_t>(tile) * 8;
    visit_dtype(in.dtype, [&](auto t) {
      using T = decltype(t);
      const T v = is_float(in.dtype) ? static_cast<T>(in.f) : static_cast<T>(in.i);
      std::fill_n(reinterpret_cast<T*>(row), tile, v);
    });
    results_[k] = row;
  }
}

ProgramRun::~ProgramRun() {
  if (scratch_pool.size() < 4) scratch_pool.push_back(std::move(rows_));
}

const void* ProgramRun::eval_tile(std::span<const std::int64_t> index, std::int64_t n) {
  const auto& instrs = program_.instrs;
  const std::size_t count = instrs.size() - (defer_last_ ? 1 : 0);
  for (std::size_t k = 0; k < count; ++k) {
    const Instr& in = instrs[k];
    std::byte* row = scratch_ + k * static_cast<std::size_t>(tile) * 8;
    switch (in.kind) {
      case Instr::Kind::scalar: break;
      case Instr::Kind::leaf: {
        const LeafBlock& lb = leaves_[static_cast<std::size_t>(in.leaf)];
        std::int64_t offset = lb.base;
        for (std::size_t d = 0; d < index.size(); ++d) offset += index[d] * lb.strides[d];
        const std::byte* p = lb.data + offset * static_cast<std::int64_t>(itemsize(lb.dtype));
        if (flat_ || index.empty() || lb.strides.back() == 1) {
          results_[k] = p;
        } else {
          // Broadcast along the last axis: one value for the whole tile, and
          // the same for every tile of a row (x - x.mean(1, true)), so the row
          // is filled again only when the value's place changes.
          if (filled_from_[k] != p || filled_n_[k] < n) {
            fill_kernel(lb.dtype, p, row, n);
            filled_from_[k] = p;
            filled_n_[k] = n;
          }
          results_[k] = row;
        }
        break;
      }
      case Instr::Kind::cast:
        cast_kernel(instrs[static_cast<std::size_t>(in.a)].dtype, results_[static_cast<std::size_t>(in.a)], in.dtype,
                    row, n);
        results_[k] = row;
        break;
      case Instr::Kind::unary:
        unary_kernel(in.unary_op, instrs[static_cast<std::size_t>(in.a)].dtype, results_[static_cast<std::size_t>(in.a)],
                     in.dtype, row, n);
        results_[k] = row;
        break;
      case Instr::Kind::binary:
        binary_kernel(in.binary_op, instrs[static_cast<std::size_t>(in.a)].dtype,
                      results_[static_cast<std::size_t>(in.a)], results_[static_cast<std::size_t>(in.b)], in.dtype, row,
                      n);
        results_[k] = row;
        break;
      case Instr::Kind::where:
        where_kernel(in.dtype, results_[static_cast<std::size_t>(in.c)], results_[static_cast<std::size_t>(in.a)],
                     results_[static_cast<std::size_t>(in.b)], row, n);
        results_[k] = row;
        break;
    }
  }
  return defer_last_ ? nullptr : results_.back();
}

}  // namespace tessera::array::detail
