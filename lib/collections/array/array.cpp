// Array: building expressions (NumPy's broadcasting and promotion, checked
// when the expression is built), and turning them into a Graph. Each node is
// named op-token like Dask's layers; the token hashes the operation, its
// literals and its operands' tokens, so names chain like a Merkle tree and
// ranks that built different arrays differ in the graph's fingerprint.
//
// The graph is built once per array, on first use: a layer of one task per
// block for every non-elementwise node; a chain of elementwise nodes becomes
// one Program run by its consumer (a fused layer when the chain's own result
// is wanted, or a reduction's first stage).
#include "collections/array/array_graph.hpp"

#include <tessera/error.hpp>
#include <tessera/token.hpp>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <ostream>
#include <unordered_map>

namespace tessera::array {
namespace detail {

std::shared_ptr<ArrayExpr> make_expr(ExprKind kind, DType dtype, Shape shape, ChunkSizes chunks, std::string_view op,
                                     std::uint64_t token) {
  auto e = std::make_shared<ArrayExpr>();
  e->kind = kind;
  e->dtype = dtype;
  e->shape = std::move(shape);
  e->chunks = std::move(chunks);
  e->name = KeyName(op);
  e->token = token;
  return e;
}

namespace {

// Runs a compiled chain over one block and writes its result: the chain's
// own result as a chunk (the consumer wanted the array itself).
class FusedLayer final : public BlockLayer {
 public:
  explicit FusedLayer(Program program) : program_(std::move(program)) {}
  void inputs_of(std::span<const std::int64_t> block, std::vector<std::pair<int, Shape>>& out) const override {
    leaf_inputs(program_, block, out);
  }
  Value run(std::span<const std::int64_t> block, std::span<const Value* const> inputs) const override {
    ProgramRun run(program_, block, inputs);
    const Shape& shape = run.shape();
    const std::size_t item = itemsize(program_.dtype);
    Buffer out(static_cast<std::size_t>(product(shape)) * item);
    run.for_each_tile(
        [&](const void* data, std::int64_t n, std::span<const std::int64_t> index, std::int64_t) {
          const std::int64_t at = index.empty() ? 0 : linear_index(index, shape);
          std::memcpy(out.data() + at * static_cast<std::int64_t>(item), data, static_cast<std::size_t>(n) * item);
        },
        /*whole_rows=*/false);
    return Value::of(std::move(out));
  }

 private:
  Program program_;
};

}  // namespace

NodeId GraphBuilder::build(const ExprPtr& e) {
  const std::pair<std::uint64_t, std::uint64_t> id{e->name.hash(), e->token};
  if (auto it = first_.find(id); it != first_.end()) return it->second;
  NodeId first = 0;
  const Shape grid = grid_of(e->chunks);
  switch (e->kind) {
    case ExprKind::persisted: {
      Shape index(grid.size(), 0);
      for (std::size_t b = 0; b < e->blocks.size(); ++b) {
        const PersistedResult& r = e->blocks[b];
        const NodeId id = graph_.add_persisted(Key(e->name, e->token, index), r.value, r.holder, r.nbytes);
        if (b == 0) first = id;
        next_index(index, grid);
      }
      break;
    }
    case ExprKind::layer:
      first = add_block_layer(*e, e->layer, e->inputs);
      break;
    case ExprKind::elementwise: {
      Program program = compile(e);
      auto layer = std::make_shared<FusedLayer>(program);
      first = add_block_layer(*e, layer, program.leaves);
      break;
    }
    case ExprKind::reduction:
      first = build_reduction(*this, *e);
      break;
  }
  first_.emplace(id, first);
  return first;
}

NodeId GraphBuilder::add_block_layer(const ArrayExpr& e, std::shared_ptr<const BlockLayer> layer,
                                     const std::vector<ExprPtr>& inputs) {
  std::vector<NodeId> input_first;
  std::vector<Shape> input_grid;
  for (const ExprPtr& input : inputs) {
    input_first.push_back(build(input));
    input_grid.push_back(grid_of(input->chunks));
  }
  const Shape grid = grid_of(e.chunks);
  std::vector<std::pair<int, Shape>> refs;
  const BlockLayer* raw = layer.get();
  return graph_.add_layer(
      e.name, e.token, grid, std::move(layer),
      [&](std::span<const std::int64_t> block, std::vector<NodeId>& deps) {
        refs.clear();
        raw->inputs_of(block, refs);
        for (const auto& [input, index] : refs) {
          const auto i = static_cast<std::size_t>(input);
          deps.push_back(input_first[i] + static_cast<NodeId>(linear_index(index, input_grid[i])));
        }
      },
      e.content);
}

std::uint64_t scalar_token(const Scalar& s) {
  TokenHasher h;
  h.add(static_cast<int>(s.kind));
  if (s.kind == Scalar::Kind::floating) h.add(s.f);
  else h.add(s.i);
  return h.value();
}

std::vector<Key> block_keys(const ArrayExpr& e) {
  const Shape grid = grid_of(e.chunks);
  const std::int64_t n = product(grid);
  std::vector<Key> keys;
  keys.reserve(static_cast<std::size_t>(n));
  Shape index(grid.size(), 0);
  for (std::int64_t b = 0; b < n; ++b) {
    keys.emplace_back(e.name, e.token, index);
    next_index(index, grid);
  }
  return keys;
}

void ensure_graph(const ArrayExpr& e, const ExprPtr& self) {
  std::call_once(e.graph_once, [&] {
    GraphBuilder builder;
    builder.build(self);
    e.graph = std::make_shared<const Graph>(builder.take());
    e.output_keys = block_keys(e);
  });
}

// ---- broadcasting ------------------------------------------------------------

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  const std::size_t nd = std::max(a.size(), b.size());
  Shape out(nd);
  for (std::size_t d = 0; d < nd; ++d) {
    const std::int64_t x = d + a.size() >= nd ? a[d + a.size() - nd] : 1;
    const std::int64_t y = d + b.size() >= nd ? b[d + b.size() - nd] : 1;
    if (x != y && x != 1 && y != 1) {
      throw InputError("operands could not be broadcast together with shapes " + shape_str(a) + " " + shape_str(b));
    }
    out[d] = x == 1 ? y : x;
  }
  return out;
}

// The output's chunks: along each axis, every boundary of every operand that
// does not broadcast there (Dask's unify_chunks, without moving data: each
// output chunk lies inside one chunk of every operand).
ChunkSizes unify_chunks(const Shape& shape, const std::vector<const ArrayExpr*>& operands) {
  const std::size_t nd = shape.size();
  ChunkSizes out(nd);
  for (std::size_t d = 0; d < nd; ++d) {
    if (shape[d] < 0) {
      // Unknown lengths (boolean-mask results): the operands that do not
      // broadcast here must be cut alike, block for block, as Dask requires.
      for (const ArrayExpr* e : operands) {
        if (d + e->shape.size() < nd) continue;
        const std::size_t ld = d + e->shape.size() - nd;
        if (e->shape[ld] == 1) continue;
        if (out[d].empty()) out[d] = e->chunks[ld];
        else if (out[d].size() != e->chunks[ld].size()) {
          throw InputError("operands of unknown length along axis " + std::to_string(d) + " have " +
                           std::to_string(out[d].size()) + " and " + std::to_string(e->chunks[ld].size()) +
                           " chunks there; persist() them to learn their lengths");
        }
      }
      continue;
    }
    std::vector<const std::vector<std::int64_t>*> axes;
    for (const ArrayExpr* e : operands) {
      if (d + e->shape.size() < nd) continue;
      const std::size_t ld = d + e->shape.size() - nd;
      if (e->shape[ld] == 1 && shape[d] != 1) continue;
      axes.push_back(&e->chunks[ld]);
    }
    out[d] = union_of_chunks(axes, shape[d]);
  }
  return out;
}


// A small operand cut unlike the largest one (x - x.mean(axis=1): the 160 KB
// of means in 24 pieces along the axis where x is one chunk) would cut every
// output block as finely; it is rechunked to the largest operand's chunks
// instead, one small copy, and the output keeps the large operand's blocks.
void follow_largest_chunks(std::vector<ElemOperand>& operands, std::size_t nd) {
  ExprPtr largest;
  for (const ElemOperand& o : operands) {
    if (o.expr && (!largest || Array(o.expr).nbytes() > Array(largest).nbytes())) largest = o.expr;
  }
  if (!largest || has_unknown(largest->chunks)) return;
  constexpr std::uint64_t small = 64ull << 20;
  for (ElemOperand& o : operands) {
    if (!o.expr || o.expr == largest || has_unknown(o.expr->chunks)) continue;
    const ArrayExpr& e = *o.expr;
    const std::uint64_t nbytes = Array(o.expr).nbytes();
    if (nbytes > small || nbytes * 16 > Array(largest).nbytes()) continue;
    ChunkSizes chunks = e.chunks;
    bool cuts_finer = false;  // some boundary of e's is not one of the largest's
    for (std::size_t ld = 0; ld < e.shape.size(); ++ld) {
      const std::size_t d = nd - e.shape.size() + ld;
      if (d + largest->shape.size() < nd) continue;
      const std::size_t bd = d + largest->shape.size() - nd;
      if (largest->shape[bd] != e.shape[ld]) continue;
      const auto own = chunk_starts(e.chunks[ld]), big = chunk_starts(largest->chunks[bd]);
      cuts_finer |= !std::includes(big.begin(), big.end(), own.begin(), own.end());
      chunks[ld] = largest->chunks[bd];
    }
    if (cuts_finer) o.expr = rechunked(o.expr, chunks);
  }
}

ExprPtr elementwise(ElemKind kind, std::string_view op, std::vector<ElemOperand> operands, DType dtype,
                    UnaryOp unary_op = UnaryOp::negative, BinaryOp binary_op = BinaryOp::add) {
  Shape nd_shape;
  for (const ElemOperand& o : operands) {
    if (o.expr) nd_shape = nd_shape.empty() ? o.expr->shape : broadcast_shapes(nd_shape, o.expr->shape);
  }
  follow_largest_chunks(operands, nd_shape.size());
  Shape shape;
  std::vector<const ArrayExpr*> arrays;
  TokenHasher h;
  h.add(op);
  h.add(static_cast<int>(kind));
  h.add(static_cast<int>(dtype));
  for (const ElemOperand& o : operands) {
    if (o.expr) {
      shape = arrays.empty() ? o.expr->shape : broadcast_shapes(shape, o.expr->shape);
      arrays.push_back(o.expr.get());
      h.mix(o.expr->token);
      h.mix(o.expr->name.hash());
    } else {
      h.mix(scalar_token(*o.scalar));
    }
  }
  if (arrays.empty()) throw InputError(std::string(op) + " needs at least one array operand");
  auto e = make_expr(ExprKind::elementwise, dtype, shape, unify_chunks(shape, arrays), op, h.value());
  e->elem = kind;
  e->unary_op = unary_op;
  e->binary_op = binary_op;
  e->operands = std::move(operands);
  return e;
}

ElemOperand to_operand(const Operand& o) {
  ElemOperand e;
  e.expr = o.expr();
  e.scalar = o.scalar();
  return e;
}

std::optional<DType> operand_array_dtype(const ElemOperand& o) {
  return o.expr ? std::optional<DType>(o.expr->dtype) : std::nullopt;
}

}  // namespace detail

using namespace detail;

Operand::Operand(const Array& a) : expr_(a.expr()) {
  if (!expr_) throw InputError("an empty Array (default-constructed) cannot be used in an expression");
}

namespace {
const ArrayExpr& get(const std::shared_ptr<const ArrayExpr>& e) {
  if (!e) throw InputError("this Array is empty (default-constructed)");
  return *e;
}
}  // namespace

DType Array::dtype() const { return get(expr_).dtype; }
const Shape& Array::shape() const { return get(expr_).shape; }
const ChunkSizes& Array::chunks() const { return get(expr_).chunks; }
std::int64_t Array::size() const {
  for (std::int64_t s : shape()) {
    if (s < 0) return -1;
  }
  return product(shape());
}
std::uint64_t Array::nbytes() const { return static_cast<std::uint64_t>(std::max<std::int64_t>(size(), 0)) * itemsize(dtype()); }
Shape Array::numblocks() const { return grid_of(chunks()); }
Shape Array::chunksize() const {
  Shape s;
  for (const auto& axis : chunks()) s.push_back(*std::max_element(axis.begin(), axis.end()));
  return s;
}
std::string Array::name() const {
  const ArrayExpr& e = get(expr_);
  std::string text;
  Key(e.name, e.token, std::span<const std::int64_t>()).write([&](std::string_view piece) { text += piece; });
  return text.substr(1, text.size() - 2);  // without the quotes
}

const Graph& Array::graph() const {
  ensure_graph(get(expr_), expr_);
  return *expr_->graph;
}

std::span<const Key> Array::output_keys() const {
  ensure_graph(get(expr_), expr_);
  return expr_->output_keys;
}

// GCC 12 reports a free of a non-heap pointer in the inlined vector
// destructors below (a known false positive of its -Wfree-nonheap-object).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wfree-nonheap-object"
NDArray Array::finalize(std::vector<Value> blocks) const {
  const ArrayExpr& e = get(expr_);
  std::vector<std::uint64_t> sizes;
  for (const Value& v : blocks) sizes.push_back(block_buffer(v).size());
  const ChunkSizes chunks = known_chunks(e.chunks, e.dtype, sizes);
  Shape whole;
  for (const auto& axis : chunks) whole.push_back(std::accumulate(axis.begin(), axis.end(), std::int64_t{0}));
  NDArray out(e.dtype, whole);
  const std::size_t item = itemsize(e.dtype);
  const Shape grid = grid_of(chunks);
  const std::size_t nd = whole.size();
  Shape out_strides(nd, 1);
  for (std::size_t d = nd; d-- > 1;) out_strides[d - 1] = out_strides[d] * whole[d];
  auto* dst = const_cast<std::byte*>(out.buffer().data());
  Shape index(nd, 0);
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    const Buffer& src = block_buffer(blocks[b]);
    const Shape shape = block_shape(chunks, index);
    const Shape offset = block_offset(chunks, index);
    if (nd == 0) {
      std::memcpy(dst, src.data(), item);
    } else if (product(shape) > 0) {
      const std::int64_t row = shape.back();
      const std::int64_t rows = product(shape) / row;
      Shape r(nd, 0);
      for (std::int64_t k = 0; k < rows; ++k) {
        std::int64_t at = 0;
        for (std::size_t d = 0; d < nd; ++d) at += (offset[d] + r[d]) * out_strides[d];
        std::memcpy(dst + at * static_cast<std::int64_t>(item), src.data() + k * row * static_cast<std::int64_t>(item),
                    static_cast<std::size_t>(row) * item);
        next_index(std::span(r).first(nd - 1), std::span<const std::int64_t>(shape).first(nd - 1));
      }
    }
    next_index(index, grid);
  }
  return out;
}

#pragma GCC diagnostic pop

Array Array::from_persisted(std::vector<PersistedResult> blocks) const {
  const ArrayExpr& e = get(expr_);
  // Persisting learns unknown chunk lengths (Dask's compute_chunk_sizes).
  std::vector<std::uint64_t> sizes;
  for (const PersistedResult& r : blocks) sizes.push_back(r.nbytes);
  ChunkSizes chunks = known_chunks(e.chunks, e.dtype, sizes);
  Shape shape;
  for (const auto& axis : chunks) shape.push_back(std::accumulate(axis.begin(), axis.end(), std::int64_t{0}));
  auto p = make_expr(ExprKind::persisted, e.dtype, std::move(shape), std::move(chunks), e.name.str(), e.token);
  p->blocks = std::move(blocks);
  return Array(std::move(p));
}

NDArray Array::compute(const ComputeOptions& options) const { return tessera::compute(*this, options); }
Array Array::persist(const ComputeOptions& options) const { return tessera::persist(*this, options); }
void Array::visualize(const ::std::string& path) const { graph().visualize(path); }

Array Array::astype(DType dtype) const {
  const ArrayExpr& e = get(expr_);
  if (e.dtype == dtype) return *this;
  return Array(elementwise(ElemKind::cast, "astype", {ElemOperand{expr_, {}}}, dtype));
}

std::string Array::str() const {
  const ArrayExpr& e = get(expr_);
  return "tessera.Array<" + name() + ", shape=" + shape_str(e.shape) + ", dtype=" + std::string(dtype_name(e.dtype)) +
         ", chunksize=" + shape_str(chunksize()) + ">";
}

std::ostream& operator<<(std::ostream& os, const Array& a) { return os << a.str(); }

Array unary(UnaryOp op, const Array& x) {
  const DType dtype = unary_result(op, x.dtype());
  return Array(elementwise(ElemKind::unary, op_name(op), {ElemOperand{x.expr(), {}}}, dtype, op));
}

Array binary(BinaryOp op, const Operand& a, const Operand& b) {
  ElemOperand x = to_operand(a), y = to_operand(b);
  const DType da = x.expr ? x.expr->dtype : scalar_dtype(*x.scalar, operand_array_dtype(y));
  const DType db = y.expr ? y.expr->dtype : scalar_dtype(*y.scalar, operand_array_dtype(x));
  const DType dtype = binary_result(op, binary_compute(op, da, db));
  return Array(elementwise(ElemKind::binary, op_name(op), {std::move(x), std::move(y)}, dtype, UnaryOp::negative, op));
}

Array where(const Operand& condition, const Operand& a, const Operand& b) {
  ElemOperand c = to_operand(condition), x = to_operand(a), y = to_operand(b);
  const DType da = x.expr ? x.expr->dtype : scalar_dtype(*x.scalar, operand_array_dtype(y));
  const DType db = y.expr ? y.expr->dtype : scalar_dtype(*y.scalar, operand_array_dtype(x));
  return Array(elementwise(ElemKind::where, "where", {std::move(c), std::move(x), std::move(y)}, promote_types(da, db)));
}

}  // namespace tessera::array
