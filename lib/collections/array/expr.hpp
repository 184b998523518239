#pragma once
// What an Array is inside: an immutable expression node. Elementwise nodes stay
// symbolic; everything else (creation, reads, reductions, user functions,
// persisted chunks) is a layer of blocks. When a graph is built, each chain of
// elementwise nodes is compiled into one Program that the consuming layer (a
// materialised elementwise result, or a reduction's first stage) runs tile by
// tile over its input blocks: one pass per chunk (STYLE.md §8.4).
#include <tessera/array.hpp>
#include <tessera/graph.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace tessera::array::detail {

using ExprPtr = std::shared_ptr<const ArrayExpr>;

/// A layer of blocks over the blocks of input arrays.
class BlockLayer : public Layer {
 public:
  /// Appends, for block `block` of this layer, (input number, block index in
  /// that input's grid) for every input block it reads, in the order run() gets them.
  virtual void inputs_of(std::span<const std::int64_t> block,
                         std::vector<std::pair<int, Shape>>& out) const = 0;
  /// A layer making the same array in blocks of `chunks`, when making a block
  /// again costs less than keeping it for long (a read from a file), so
  /// compile() may read it a second time; else null.
  virtual std::shared_ptr<const BlockLayer> read_again(const ChunkSizes& /*chunks*/) const { return nullptr; }
  /// Whether read_rows() works: the layer makes its blocks from nothing (a
  /// file), any part as cheaply as the whole, so a reduction over it can take
  /// each block in slabs into reused memory instead of as a fresh block.
  virtual bool reads_rows() const { return false; }
  /// Rows [first, first + count) along axis 0 of block `block`, all of its
  /// other axes, into `out` in C order.
  virtual void read_rows(std::span<const std::int64_t> /*block*/, std::int64_t /*first*/, std::int64_t /*count*/,
                         std::byte* /*out*/) const {}
};

enum class ExprKind : std::uint8_t { layer, persisted, elementwise, reduction };
enum class ElemKind : std::uint8_t { unary, binary, where, cast };

struct ElemOperand {
  ExprPtr expr;                 // an array, or
  std::optional<Scalar> scalar;  // a weak scalar
};

struct ReductionSpec {
  ReduceOp op;
  std::vector<int> axes;  // sorted, non-negative
  bool keepdims = false;
  int ddof = 0;
  bool flat_index = false;  // argmin/argmax over the flattened array
};

struct ArrayExpr {
  DType dtype = DType::float64;
  Shape shape;
  ChunkSizes chunks;
  KeyName name;
  std::uint64_t token = 0;
  ExprKind kind = ExprKind::layer;

  // layer
  std::shared_ptr<const BlockLayer> layer;
  std::vector<ExprPtr> inputs;
  std::uint64_t content = 0;
  // persisted
  std::vector<PersistedResult> blocks;
  // elementwise
  ElemKind elem = ElemKind::unary;
  UnaryOp unary_op = UnaryOp::negative;
  BinaryOp binary_op = BinaryOp::add;
  std::vector<ElemOperand> operands;
  // reduction (over inputs[0])
  ReductionSpec reduction{};

  // The graph, built on first use (Array::graph()).
  mutable std::shared_ptr<const Graph> graph;
  mutable std::vector<Key> output_keys;
  mutable std::once_flag graph_once;
};

/// One instruction of a compiled elementwise chain.
struct Instr {
  enum class Kind : std::uint8_t { leaf, scalar, cast, unary, binary, where } kind;
  DType dtype;   // of its result
  int a = -1, b = -1, c = -1;  // operand instructions
  UnaryOp unary_op = UnaryOp::negative;
  BinaryOp binary_op = BinaryOp::add;
  int leaf = -1;
  double f = 0;       // a scalar as double, or
  std::int64_t i = 0;  // as integer (when its dtype is an integer)
};

/// For one leaf and one output axis: which leaf block holds each output chunk,
/// and where the output chunk starts inside it.
struct AxisMap {
  bool broadcast = false;
  std::vector<std::int64_t> block, offset;
};

/// A compiled chain over leaf arrays, with the output's shape and chunks.
struct Program {
  std::vector<Instr> instrs;  // topological; the last is the result
  std::vector<ExprPtr> leaves;
  std::vector<std::vector<AxisMap>> leaf_maps;  // [leaf][output axis], made once by compile()
  DType dtype = DType::float64;
  Shape shape;
  ChunkSizes chunks;
  std::uint64_t token = 0;  // of the whole chain: names a layer that runs it
};
Program compile(const ExprPtr& root);

/// Steps `index` to the next position in C order within `extent`; false
/// (and all zeros) after the last. Over a prefix of the axes it steps rows.
inline bool next_index(std::span<std::int64_t> index, std::span<const std::int64_t> extent) {
  for (std::size_t d = index.size(); d-- > 0;) {
    if (++index[d] < extent[d]) return true;
    index[d] = 0;
  }
  return false;
}

/// A token of a weak scalar's kind and value.
std::uint64_t scalar_token(const Scalar& s);

/// The dtype a weak scalar takes next to an array of dtype `other`.
DType scalar_dtype(const Scalar& s, std::optional<DType> other);

/// The blocks of a program's leaves for one output block, and the walk over
/// the output block's elements in tiles.
struct LeafBlock {
  const std::byte* data = nullptr;
  DType dtype;
  Shape strides;      // in elements, per output axis; 0 on broadcast axes
  std::int64_t base = 0;  // element offset of the output block's first element
};

/// Rows [first, first + count) along axis 0 of an output block; count < 0: all of it.
struct RowWindow {
  std::int64_t first = 0;
  std::int64_t count = -1;
};

class ProgramRun {
 public:
  static constexpr std::int64_t tile = 1024;
  /// `block`: the output block's index in the program's grid; `inputs`: the
  /// leaves' blocks, in the order leaf_inputs() listed them.
  ProgramRun(const Program& program, std::span<const std::int64_t> block, std::span<const Value* const> inputs);
  /// Over `window`'s rows of the block only (shape() is the window's, and
  /// tiles' indices start at its first row). `leaf_bytes[l]` is leaf l's
  /// block, or when `windowed[l]` only the window's rows of it (a leaf read
  /// in slabs: its chunks are the program's).
  ProgramRun(const Program& program, std::span<const std::int64_t> block,
             std::span<const std::span<const std::byte>> leaf_bytes, RowWindow window,
             std::span<const std::uint8_t> windowed);
  ~ProgramRun();
  ProgramRun(const ProgramRun&) = delete;
  ProgramRun& operator=(const ProgramRun&) = delete;
  const Shape& shape() const { return shape_; }
  /// Calls sink(tile_data, n, row_index, column) for consecutive runs of the
  /// block's elements in C order; `row_index` is the multi-index of the run's
  /// first element (all axes), `column` its position along the last axis.
  /// When `whole_rows` is false and nothing broadcasts, runs may span rows.
  template <class Sink>
  void for_each_tile(Sink&& sink, bool whole_rows);

  const void* eval_tile(std::span<const std::int64_t> index, std::int64_t n);
  /// When on, eval_tile stops before the last instruction (a binary op) and
  /// last_operands() gives its operands' tiles: a reducer folds the op itself.
  void defer_last(bool on) { defer_last_ = on; }
  std::pair<const void*, const void*> last_operands() const {
    const Instr& last = program_.instrs.back();
    return {results_[static_cast<std::size_t>(last.a)], results_[static_cast<std::size_t>(last.b)]};
  }

 private:
  const Program& program_;
  Shape shape_;
  std::vector<LeafBlock> leaves_;
  bool flat_ = true;
  bool defer_last_ = false;
  std::vector<const void*> results_;
  std::vector<const std::byte*> filled_from_;  // per instruction: the broadcast value its row holds
  std::vector<std::int64_t> filled_n_;
  std::vector<std::byte> rows_;  // scratch: one tile row per instruction
  std::byte* scratch_ = nullptr;
};

/// The input blocks of output block `block` of a program: (leaf, block index).
void leaf_inputs(const Program& program, std::span<const std::int64_t> block,
                 std::vector<std::pair<int, Shape>>& out);

/// The start of every chunk along each axis, and helpers over grids.
std::vector<std::int64_t> chunk_starts(const std::vector<std::int64_t>& sizes);
/// The chunks of an axis of `length` whose boundaries are every boundary of
/// `axes` (chunkings of that axis): Dask's unify_chunks along one axis.
std::vector<std::int64_t> union_of_chunks(std::span<const std::vector<std::int64_t>* const> axes, std::int64_t length);
Shape grid_of(const ChunkSizes& chunks);
std::int64_t linear_index(std::span<const std::int64_t> index, std::span<const std::int64_t> grid);
Shape block_shape(const ChunkSizes& chunks, std::span<const std::int64_t> block);
Shape block_offset(const ChunkSizes& chunks, std::span<const std::int64_t> block);
std::int64_t product(std::span<const std::int64_t> shape);
std::string shape_str(std::span<const std::int64_t> shape);

/// Chunk lengths of -1 are unknown until computed (a boolean mask's result,
/// Dask's nan chunks). The length of a block's one unknown axis from its byte
/// size; InputError naming `op` when an operation needs known lengths.
void resolve_unknown(Shape& block, std::uint64_t nbytes, DType dtype);
bool has_unknown(const ChunkSizes& chunks);
void require_known(const ArrayExpr& e, std::string_view op);
/// The chunks of `chunks`' grid with unknown lengths filled in from each block's byte size.
ChunkSizes known_chunks(const ChunkSizes& chunks, DType dtype, std::span<const std::uint64_t> block_nbytes);

/// `e` cut into other `chunks` of the same shape (a copy layer; `e` itself when they are its own).
ExprPtr rechunked(const ExprPtr& e, const ChunkSizes& chunks);
/// `in`'s chunks with its first `lead` axes cut along the first only, into
/// panels of whole rows near the size of its largest block over them.
ChunkSizes panel_chunks(const ArrayExpr& in, std::size_t lead);

/// The Buffer inside a block's Value.
const Buffer& block_buffer(const Value& v);

/// A node with the fields every kind shares.
std::shared_ptr<ArrayExpr> make_expr(ExprKind kind, DType dtype, Shape shape, ChunkSizes chunks, std::string_view op,
                                     std::uint64_t token);

// Kernels (kernels.cpp), over n elements.
void cast_kernel(DType from, const void* in, DType to, void* out, std::int64_t n);
void unary_kernel(UnaryOp op, DType in_dtype, const void* in, DType out_dtype, void* out, std::int64_t n);
void binary_kernel(BinaryOp op, DType in_dtype, const void* a, const void* b, DType out_dtype, void* out,
                   std::int64_t n);
void where_kernel(DType dtype, const void* cond, const void* a, const void* b, void* out, std::int64_t n);
/// Fills out[0, n) with element 0 of `in` (a broadcast value).
void fill_kernel(DType dtype, const void* in, void* out, std::int64_t n);

/// The dtype each op computes in and gives (NumPy's ufunc type resolution);
/// InputError naming the op and dtypes when it has no loop for them.
DType unary_result(UnaryOp op, DType in);
DType unary_compute(UnaryOp op, DType in);
DType binary_compute(BinaryOp op, DType a, DType b);
DType binary_result(BinaryOp op, DType compute);
const char* op_name(UnaryOp op);
const char* op_name(BinaryOp op);
const char* op_name(ReduceOp op);

template <class Sink>
void ProgramRun::for_each_tile(Sink&& sink, bool whole_rows) {
  const int nd = static_cast<int>(shape_.size());
  if (nd == 0) {
    Shape none;
    sink(eval_tile(none, 1), std::int64_t{1}, std::span<const std::int64_t>(none), std::int64_t{0});
    return;
  }
  const std::int64_t total = product(shape_);
  if (total == 0) return;
  Shape index(static_cast<std::size_t>(nd), 0);
  if (flat_ && !whole_rows) {
    // Every leaf is laid out like the output: one run over the whole block.
    for (std::int64_t t = 0; t < total; t += tile) {
      const std::int64_t n = std::min(tile, total - t);
      std::int64_t rest = t;
      for (int d = nd - 1; d >= 0; --d) {
        index[static_cast<std::size_t>(d)] = rest % shape_[static_cast<std::size_t>(d)];
        rest /= shape_[static_cast<std::size_t>(d)];
      }
      sink(eval_tile(index, n), n, std::span<const std::int64_t>(index), index.back());
    }
    return;
  }
  const std::int64_t row = shape_.back();
  const std::int64_t rows = total / row;
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t j = 0; j < row; j += tile) {
      const std::int64_t n = std::min(tile, row - j);
      index.back() = j;
      sink(eval_tile(index, n), n, std::span<const std::int64_t>(index), j);
    }
    next_index(std::span(index).first(index.size() - 1), std::span<const std::int64_t>(shape_).first(shape_.size() - 1));
  }
}

}  // namespace tessera::array::detail
