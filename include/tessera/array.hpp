#pragma once
/// Array: chunked N-d arrays with NumPy's semantics, like Dask Array. The
/// seed example (Dask's `x - x.mean(axis=1)` on an HDF5 dataset):
///
///     #include <tessera/array.hpp>
///     #include <tessera/io/hdf5.hpp>
///     namespace da = tessera::array;
///
///     auto x = da::from_hdf5("myfile.hdf5", "/big-data", {1000, 1000});
///     tessera::NDArray y = (x - x.mean(1, /*keepdims=*/true)).compute();  // the same on every rank
///     double s = (x - x.mean(1, true)).std().compute().item<double>();
///
/// An Array is lazy: operations build a graph of one task per chunk, and the
/// chunks live on the ranks that computed them. Chains of elementwise
/// operations, and the reduction that follows them, run as one task per chunk
/// with one loop over its memory (no temporary chunk per operator). dtypes and
/// broadcasting follow NumPy (int32 + float32 gives float64; a C++ number is
/// a "weak" scalar as in NEP 50: an int8 array + 1 stays int8). Shape and
/// broadcast errors are InputError when the expression is built, naming both
/// shapes.
///
///     auto a = da::random::normal({1537, 2311}, {500, 700}, /*seed=*/42);  // same numbers on any rank count
///     auto b = da::where(a > 0, da::sqrt(a), 0.0).sum(0);                  // one pass per chunk
///     std::cout << b << "\n";          // tessera.Array<sum-3f2a9c1d, shape=(2311,), dtype=float64, chunksize=(700,)>
///     std::cout << b.compute() << "\n";  // [ 12.5  ...  9.75] like NumPy
#include <tessera/buffer.hpp>
#include <tessera/collection.hpp>
#include <tessera/compute.hpp>
#include <tessera/dtype.hpp>
#include <tessera/graph.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace tessera {
namespace array {

using Shape = std::vector<std::int64_t>;
/// Per-axis chunk lengths, Dask's `((500, 500, 537), (700, 700, 700, 211))`.
using ChunkSizes = std::vector<std::vector<std::int64_t>>;

/// How to cut an array into chunks, in Dask's forms: one block shape
/// (`{500, 700}`; -1 for a whole axis), one length for every axis (`500`),
/// explicit per-axis lengths (`ChunkSizes{{500, 1037}, {2311}}`), or "auto":
/// blocks near TESSERA_ARRAY_CHUNK_SIZE bytes (default 128 MiB).
class ChunkSpec {
 public:
  ChunkSpec() = default;  // "auto"
  ChunkSpec(const char* text);  // "auto"
  explicit ChunkSpec(std::int64_t every_axis) : block_{every_axis}, every_axis_(true) {}
  ChunkSpec(std::initializer_list<std::int64_t> block) : block_(block) {}
  ChunkSpec(Shape block) : block_(std::move(block)) {}
  ChunkSpec(ChunkSizes sizes) : sizes_(std::move(sizes)), explicit_(true) {}
  static ChunkSpec automatic(std::uint64_t target_bytes) {
    ChunkSpec c;
    c.target_bytes_ = target_bytes;
    return c;
  }
  bool is_auto() const { return !explicit_ && block_.empty(); }
  /// The chunks for `shape`; InputError naming both when they do not fit.
  ChunkSizes resolve(const Shape& shape, DType dtype) const;

 private:
  Shape block_;
  ChunkSizes sizes_;
  std::uint64_t target_bytes_ = 0;
  bool every_axis_ = false;
  bool explicit_ = false;
};

/// A dense local array: dtype, shape and C-order data, what compute() returns.
/// Copies share the data (it is immutable once made, like a Value).
class NDArray {
 public:
  NDArray() = default;
  /// Uninitialised C-order storage for `shape`.
  NDArray(DType dtype, Shape shape);
  /// Takes the bytes of `data` (C order, prod(shape) * itemsize bytes).
  NDArray(DType dtype, Shape shape, Buffer data);
  template <class T>
  static NDArray from_vector(const std::vector<T>& values, Shape shape) {
    NDArray a(dtype_of<T>(), std::move(shape));
    check_size(values.size(), a.size());
    std::copy(values.begin(), values.end(), a.mutable_view<T>().begin());
    return a;
  }

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  std::int64_t size() const;
  std::uint64_t nbytes() const { return data_ ? data_->size() : 0; }
  /// Byte strides, C order (NumPy's .strides).
  Shape strides() const;
  const Buffer& buffer() const;

  /// The elements as T; TypeError when T is not the dtype's C++ type.
  template <class T>
  std::span<const T> view() const {
    check_type(dtype_of<T>());
    return data_->as<T>();
  }
  /// Writable, for the one who made it (before sharing it).
  template <class T>
  std::span<T> mutable_view() {
    check_type(dtype_of<T>());
    return data_->as<T>();
  }
  /// Element `flat` (C order) converted to double, whatever the dtype.
  double at(std::int64_t flat) const;
  /// The only element of a one-element array (a reduction's result), as T.
  template <class T>
  T item() const;
  /// The same values as another dtype (NumPy's astype, unsafe casting).
  NDArray astype(DType dtype) const;

  /// NumPy's str(): `[[1. 2.]\n [3. 4.]]`, summarised with `...` when large.
  std::string str() const;

 private:
  void check_type(DType wanted) const;
  static void check_size(std::size_t given, std::int64_t wanted);

  DType dtype_ = DType::float64;
  Shape shape_;
  std::shared_ptr<Buffer> data_;
};
std::ostream& operator<<(std::ostream& os, const NDArray& a);

/// Axes to reduce over: one (`1`), several (`{0, 2}`), negative from the end;
/// none given means all, like NumPy's axis=None.
class Axes {
 public:
  Axes() = default;
  Axes(int axis) : axes_{axis}, all_(false) {}
  Axes(std::initializer_list<int> axes) : axes_(axes), all_(false) {}
  Axes(std::vector<int> axes) : axes_(std::move(axes)), all_(false) {}
  bool all() const { return all_; }
  const std::vector<int>& list() const { return axes_; }

 private:
  std::vector<int> axes_;
  bool all_ = true;
};

namespace detail {
struct ArrayExpr;
}

class Array;

/// NumPy's slice(start, stop, step); an unset bound is Python's None.
struct Slice {
  std::optional<std::int64_t> start, stop;
  std::int64_t step = 1;
};
inline Slice slice(std::optional<std::int64_t> start, std::optional<std::int64_t> stop, std::int64_t step = 1) {
  return Slice{start, stop, step};
}
inline Slice slice(std::optional<std::int64_t> stop) { return Slice{std::nullopt, stop, 1}; }
/// `:` (the whole axis).
inline constexpr Slice all_of_axis{};
struct NewAxis {};
inline constexpr NewAxis newaxis{};
struct EllipsisIndex {};
inline constexpr EllipsisIndex ellipsis{};

/// One entry of an index, as in NumPy: an integer (drops the axis), a slice,
/// `newaxis`, `ellipsis`, or positions along one axis (an integer-array
/// index; at most one per index).
///
///     x[{0, slice(2, std::nullopt, -1)}]     // x[0, 2::-1]
///     x[{ellipsis, newaxis}]                 // x[..., None]
///     x[{all_of_axis, std::vector<std::int64_t>{3, 0, 3}}]   // x[:, [3, 0, 3]]
class Index {
 public:
  template <class T>
    requires std::is_integral_v<T> && (!std::is_same_v<T, bool>)
  Index(T i) : kind_(Kind::integer), integer_(static_cast<std::int64_t>(i)) {}
  Index(Slice s) : kind_(Kind::slice), slice_(s) {}
  Index(NewAxis) : kind_(Kind::newaxis) {}
  Index(EllipsisIndex) : kind_(Kind::ellipsis) {}
  Index(std::vector<std::int64_t> positions) : kind_(Kind::positions), positions_(std::move(positions)) {}

  enum class Kind : std::uint8_t { integer, slice, newaxis, ellipsis, positions };
  Kind kind() const { return kind_; }
  std::int64_t integer() const { return integer_; }
  const Slice& slice() const { return slice_; }
  const std::vector<std::int64_t>& positions() const { return positions_; }

 private:
  Kind kind_;
  std::int64_t integer_ = 0;
  Slice slice_{};
  std::vector<std::int64_t> positions_;
};

/// A C++ number in an expression: NumPy's "weak" scalar (its kind counts, not its size).
struct Scalar {
  enum class Kind : std::uint8_t { boolean, integer, floating };
  template <class T>
    requires std::is_arithmetic_v<T>
  Scalar(T v)
      : kind(std::is_same_v<T, bool>      ? Kind::boolean
             : std::is_integral_v<T>      ? Kind::integer
                                          : Kind::floating),
        f(static_cast<double>(v)),
        i(static_cast<std::int64_t>(v)) {}
  Kind kind;
  double f;
  std::int64_t i;
};

/// Either side of an elementwise operation: an Array or a number.
class Operand {
 public:
  Operand(const Array& a);
  template <class T>
    requires std::is_arithmetic_v<T>
  Operand(T v) : scalar_(Scalar(v)) {}
  const std::shared_ptr<const detail::ArrayExpr>& expr() const { return expr_; }
  const std::optional<Scalar>& scalar() const { return scalar_; }

 private:
  std::shared_ptr<const detail::ArrayExpr> expr_;
  std::optional<Scalar> scalar_;
};

enum class UnaryOp : std::uint8_t {
  negative, abs, sqrt, exp, log, log1p, sin, cos, tanh, floor, ceil, isnan, isfinite, logical_not, invert
};
enum class BinaryOp : std::uint8_t {
  add, subtract, multiply, divide, floor_divide, mod, power, minimum, maximum,
  equal, not_equal, less, less_equal, greater, greater_equal,
  logical_and, logical_or, logical_xor, bitwise_and, bitwise_or, bitwise_xor, left_shift, right_shift
};
enum class ReduceOp : std::uint8_t {
  sum, prod, mean, min, max, var, std, argmin, argmax, any, all,
  nansum, nanprod, nanmean, nanmin, nanmax, nanvar, nanstd, nanargmin, nanargmax
};

/// Chunks of an Array computed by a user function, for map_blocks/from_function:
/// the block's index in the grid, its dtype, shape and place in the whole array.
struct BlockInfo {
  Shape index;     // position in the block grid
  Shape shape;     // this block's shape
  Shape offset;    // first element's position in the whole array
  DType dtype;
};

class Array {
 public:
  Array() = default;
  explicit Array(::std::shared_ptr<const detail::ArrayExpr> expr) : expr_(::std::move(expr)) {}

  DType dtype() const;
  const Shape& shape() const;
  const ChunkSizes& chunks() const;
  int ndim() const { return static_cast<int>(shape().size()); }
  /// Elements (-1 while a length is unknown), and their bytes (0 then).
  ::std::int64_t size() const;
  ::std::uint64_t nbytes() const;
  /// Blocks per axis (Dask's .numblocks).
  Shape numblocks() const;
  /// The largest block's shape (Dask's .chunksize).
  Shape chunksize() const;
  /// The layer's name, op-token like Dask's ('sub-3f2a9c1d').
  ::std::string name() const;

  /// Runs the graph; the whole array on every rank.
  NDArray compute(const ComputeOptions& options = {}) const;
  /// Runs the graph; the chunks stay on the ranks that computed them and count in their memory budget.
  Array persist(const ComputeOptions& options = {}) const;
  void visualize(const ::std::string& path) const;

  /// The Collection seam (collection.hpp).
  const Graph& graph() const;
  ::std::span<const Key> output_keys() const;
  NDArray finalize(::std::vector<Value> blocks) const;
  Array from_persisted(::std::vector<PersistedResult> blocks) const;

  Array astype(DType dtype) const;

  /// NumPy's basic and integer-array indexing (see Index); InputError naming
  /// the index, axis and size when an index is out of bounds. Slices keep the
  /// chunks (a slice along chunk boundaries copies nothing).
  Array operator[](Index index) const;
  Array operator[](::std::initializer_list<Index> indices) const;
  Array index(::std::span<const Index> indices) const;
  /// Boolean-mask indexing (NumPy's x[mask]): `mask` has x's shape (or its
  /// leading axes); the result is 1-d (plus x's trailing axes), its chunk
  /// lengths unknown (-1) until computed, like Dask's nan chunks.
  Array operator[](const Array& mask) const;

  /// NumPy's transpose (reversed axes when none given) and swapaxes; no data moves until computed.
  Array transpose(::std::vector<int> axes = {}) const;
  Array swapaxes(int axis1, int axis2) const;
  /// NumPy's reshape (one axis may be -1) where each new chunk is one old
  /// chunk (no data moves); InputError naming the axes whose chunks do not allow it.
  Array reshape(Shape shape) const;
  /// The flattened array; blocks cut along any axis but the first are first
  /// rechunked into panels of whole rows (as Dask does), so it always works.
  Array ravel() const;
  /// The same values cut into other chunks (Dask's rechunk): each new chunk
  /// is copied from the old ones it overlaps, on the rank that computes it.
  Array rechunk(ChunkSpec chunks) const;

  /// NumPy's cumsum/cumprod along `axis` (the flattened array when none given).
  Array cumsum(::std::optional<int> axis = ::std::nullopt) const;
  Array cumprod(::std::optional<int> axis = ::std::nullopt) const;

  /// Reductions over `axes` (all when none given), as tree reductions; `ddof`
  /// for var/std as NumPy's.
  Array reduce(ReduceOp op, Axes axes = {}, bool keepdims = false, int ddof = 0) const;
  Array sum(Axes axes = {}, bool keepdims = false) const { return reduce(ReduceOp::sum, ::std::move(axes), keepdims); }
  Array prod(Axes axes = {}, bool keepdims = false) const { return reduce(ReduceOp::prod, ::std::move(axes), keepdims); }
  Array mean(Axes axes = {}, bool keepdims = false) const { return reduce(ReduceOp::mean, ::std::move(axes), keepdims); }
  Array min(Axes axes = {}, bool keepdims = false) const { return reduce(ReduceOp::min, ::std::move(axes), keepdims); }
  Array max(Axes axes = {}, bool keepdims = false) const { return reduce(ReduceOp::max, ::std::move(axes), keepdims); }
  Array var(Axes axes = {}, bool keepdims = false, int ddof = 0) const {
    return reduce(ReduceOp::var, ::std::move(axes), keepdims, ddof);
  }
  Array std(Axes axes = {}, bool keepdims = false, int ddof = 0) const {
    return reduce(ReduceOp::std, ::std::move(axes), keepdims, ddof);
  }
  /// NumPy's argmin/argmax: over one axis, or the flattened array when none given.
  Array argmin(::std::optional<int> axis = ::std::nullopt, bool keepdims = false) const;
  Array argmax(::std::optional<int> axis = ::std::nullopt, bool keepdims = false) const;
  Array any(Axes axes = {}, bool keepdims = false) const { return reduce(ReduceOp::any, ::std::move(axes), keepdims); }
  Array all(Axes axes = {}, bool keepdims = false) const { return reduce(ReduceOp::all, ::std::move(axes), keepdims); }

  /// Dask's repr: `tessera.Array<name, shape=(..), dtype=.., chunksize=(..)>`.
  ::std::string str() const;

  const ::std::shared_ptr<const detail::ArrayExpr>& expr() const { return expr_; }

 private:
  ::std::shared_ptr<const detail::ArrayExpr> expr_;
};
std::ostream& operator<<(std::ostream& os, const Array& a);

// Elementwise: NumPy's ufuncs, with broadcasting and type promotion.
Array unary(UnaryOp op, const Array& x);
Array binary(BinaryOp op, const Operand& a, const Operand& b);
/// NumPy's where(condition, a, b).
Array where(const Operand& condition, const Operand& a, const Operand& b);
inline Array clip(const Array& x, const Operand& lo, const Operand& hi) {
  return binary(BinaryOp::minimum, binary(BinaryOp::maximum, x, lo), hi);
}
inline Array power(const Operand& a, const Operand& b) { return binary(BinaryOp::power, a, b); }
inline Array minimum(const Operand& a, const Operand& b) { return binary(BinaryOp::minimum, a, b); }
inline Array maximum(const Operand& a, const Operand& b) { return binary(BinaryOp::maximum, a, b); }
inline Array logical_and(const Operand& a, const Operand& b) { return binary(BinaryOp::logical_and, a, b); }
inline Array logical_or(const Operand& a, const Operand& b) { return binary(BinaryOp::logical_or, a, b); }
inline Array logical_xor(const Operand& a, const Operand& b) { return binary(BinaryOp::logical_xor, a, b); }
inline Array logical_not(const Array& x) { return unary(UnaryOp::logical_not, x); }
inline Array abs(const Array& x) { return unary(UnaryOp::abs, x); }
inline Array sqrt(const Array& x) { return unary(UnaryOp::sqrt, x); }
inline Array exp(const Array& x) { return unary(UnaryOp::exp, x); }
inline Array log(const Array& x) { return unary(UnaryOp::log, x); }
inline Array log1p(const Array& x) { return unary(UnaryOp::log1p, x); }
inline Array sin(const Array& x) { return unary(UnaryOp::sin, x); }
inline Array cos(const Array& x) { return unary(UnaryOp::cos, x); }
inline Array tanh(const Array& x) { return unary(UnaryOp::tanh, x); }
inline Array floor(const Array& x) { return unary(UnaryOp::floor, x); }
inline Array ceil(const Array& x) { return unary(UnaryOp::ceil, x); }
inline Array isnan(const Array& x) { return unary(UnaryOp::isnan, x); }
inline Array isfinite(const Array& x) { return unary(UnaryOp::isfinite, x); }

/// NumPy's nan-reductions: NaNs are skipped. An all-NaN slice gives what
/// NumPy gives: 0 for nansum, 1 for nanprod, NaN for the others, and an
/// error (TaskError when computed) for nanargmin/nanargmax.
inline Array nansum(const Array& x, Axes axes = {}, bool keepdims = false) { return x.reduce(ReduceOp::nansum, std::move(axes), keepdims); }
inline Array nanprod(const Array& x, Axes axes = {}, bool keepdims = false) { return x.reduce(ReduceOp::nanprod, std::move(axes), keepdims); }
inline Array nanmean(const Array& x, Axes axes = {}, bool keepdims = false) { return x.reduce(ReduceOp::nanmean, std::move(axes), keepdims); }
inline Array nanmin(const Array& x, Axes axes = {}, bool keepdims = false) { return x.reduce(ReduceOp::nanmin, std::move(axes), keepdims); }
inline Array nanmax(const Array& x, Axes axes = {}, bool keepdims = false) { return x.reduce(ReduceOp::nanmax, std::move(axes), keepdims); }
inline Array nanvar(const Array& x, Axes axes = {}, bool keepdims = false, int ddof = 0) { return x.reduce(ReduceOp::nanvar, std::move(axes), keepdims, ddof); }
inline Array nanstd(const Array& x, Axes axes = {}, bool keepdims = false, int ddof = 0) { return x.reduce(ReduceOp::nanstd, std::move(axes), keepdims, ddof); }
inline Array nanargmin(const Array& x, ::std::optional<int> axis = ::std::nullopt, bool keepdims = false) {
  return axis ? x.reduce(ReduceOp::nanargmin, Axes(*axis), keepdims) : x.reduce(ReduceOp::nanargmin, Axes(), keepdims);
}
inline Array nanargmax(const Array& x, ::std::optional<int> axis = ::std::nullopt, bool keepdims = false) {
  return axis ? x.reduce(ReduceOp::nanargmax, Axes(*axis), keepdims) : x.reduce(ReduceOp::nanargmax, Axes(), keepdims);
}

template <class A, class B>
concept ArrayOperands = (std::is_same_v<A, Array> || std::is_same_v<B, Array>) &&
                        (std::is_same_v<A, Array> || std::is_arithmetic_v<A>) &&
                        (std::is_same_v<B, Array> || std::is_arithmetic_v<B>);
#define TESSERA_ARRAY_OPERATOR(symbol, op)                  \
  template <class A, class B>                               \
    requires ArrayOperands<A, B>                            \
  Array operator symbol(const A& a, const B& b) {           \
    return binary(BinaryOp::op, Operand(a), Operand(b));    \
  }
TESSERA_ARRAY_OPERATOR(+, add)
TESSERA_ARRAY_OPERATOR(-, subtract)
TESSERA_ARRAY_OPERATOR(*, multiply)
TESSERA_ARRAY_OPERATOR(/, divide)
TESSERA_ARRAY_OPERATOR(%, mod)
TESSERA_ARRAY_OPERATOR(==, equal)
TESSERA_ARRAY_OPERATOR(!=, not_equal)
TESSERA_ARRAY_OPERATOR(<, less)
TESSERA_ARRAY_OPERATOR(<=, less_equal)
TESSERA_ARRAY_OPERATOR(>, greater)
TESSERA_ARRAY_OPERATOR(>=, greater_equal)
TESSERA_ARRAY_OPERATOR(&, bitwise_and)
TESSERA_ARRAY_OPERATOR(|, bitwise_or)
TESSERA_ARRAY_OPERATOR(^, bitwise_xor)
TESSERA_ARRAY_OPERATOR(<<, left_shift)
TESSERA_ARRAY_OPERATOR(>>, right_shift)
#undef TESSERA_ARRAY_OPERATOR
inline Array floor_divide(const Operand& a, const Operand& b) { return binary(BinaryOp::floor_divide, a, b); }
inline Array operator-(const Array& x) { return unary(UnaryOp::negative, x); }
inline Array operator~(const Array& x) { return unary(UnaryOp::invert, x); }
inline Array operator!(const Array& x) { return unary(UnaryOp::logical_not, x); }

/// NumPy's concatenate along an existing axis and stack along a new one;
/// shapes must agree except along `axis` (InputError naming them), dtypes promote.
Array concatenate(const std::vector<Array>& arrays, int axis = 0);
Array stack(const std::vector<Array>& arrays, int axis = 0);
inline Array transpose(const Array& x, std::vector<int> axes = {}) { return x.transpose(std::move(axes)); }
inline Array swapaxes(const Array& x, int axis1, int axis2) { return x.swapaxes(axis1, axis2); }
inline Array reshape(const Array& x, Shape shape) { return x.reshape(std::move(shape)); }
inline Array cumsum(const Array& x, std::optional<int> axis = std::nullopt) { return x.cumsum(axis); }
inline Array cumprod(const Array& x, std::optional<int> axis = std::nullopt) { return x.cumprod(axis); }

/// NumPy's histogram with `bins` equal bins over `range` (Dask's
/// da.histogram asks for the range too, so no pass goes to finding it):
/// `counts` (int64, one per bin) and the bins + 1 `edges`. Values outside
/// the range and NaN are not counted; the last bin holds its right edge; a
/// value on an edge lands in the bin NumPy puts it in. One pass over x: each
/// block counts its values, the counts are summed.
///
///     auto [counts, edges] = da::histogram(field, 10, {0.0, 1.0});
///     NDArray c = counts.compute();
struct Histogram {
  Array counts;
  NDArray edges;
};
Histogram histogram(const Array& x, std::int64_t bins, std::pair<double, double> range);

// Creation. Every rank makes the same array; the chunks are computed where the scheduler places them.
struct CreateOptions {
  ChunkSpec chunks{};
  DType dtype = DType::float64;
};
Array empty(Shape shape, CreateOptions options = {});
Array zeros(Shape shape, CreateOptions options = {});
Array ones(Shape shape, CreateOptions options = {});
Array full(Shape shape, Scalar value, CreateOptions options = {});
/// NumPy's arange(start, stop, step) (`arange(10, {4})` for arange(0, 10, 1) in chunks of 4):
/// int64 for integer arguments, else float64 unless `dtype` says.
Array arange(Scalar start, Scalar stop, Scalar step, ChunkSpec chunks = {}, std::optional<DType> dtype = {});
inline Array arange(Scalar stop, ChunkSpec chunks = {}) { return arange(0, stop, 1, std::move(chunks)); }
Array linspace(double start, double stop, std::int64_t num, ChunkSpec chunks = {}, bool endpoint = true);
/// A local array cut into chunks (every rank holds the same data: the replicated driver).
Array from_ndarray(const NDArray& data, ChunkSpec chunks = {});
/// Each block computed by `fill(info, out)`, which writes the block's
/// elements (C order, `info.dtype`) into `out`. `name` keys the layer; give
/// a distinct one for each distinct function.
using BlockFiller = std::function<void(const BlockInfo& info, std::span<std::byte> out)>;
Array from_function(Shape shape, ChunkSpec chunks, DType dtype, BlockFiller fill, std::string name = "from_function");

/// One block a rank already holds (an MPI simulation's own data) at `index` in the block grid.
struct LocalBlock {
  NDArray data;
  Shape index;
};
/// Collective: every rank passes the blocks it holds; together they must
/// tile `global_shape` exactly. The blocks stay on their ranks, nothing goes
/// through rank 0, and the NDArray's buffer is adopted without a copy (its
/// data is shared). InputError naming the block and ranks otherwise.
Array from_local_blocks(std::vector<LocalBlock> blocks, Shape global_shape);
inline Array from_local_blocks(NDArray block, Shape block_index, Shape global_shape) {
  return from_local_blocks({LocalBlock{std::move(block), std::move(block_index)}}, std::move(global_shape));
}

/// Each block through a user function over typed views (Dask's map_blocks):
/// `f(info, inputs, out)` gets the input blocks as NDArrays and writes the
/// output block, which has the inputs' block shape and `dtype`.
using BlockFunction = std::function<void(const BlockInfo& info, std::span<const NDArray> inputs, NDArray& out)>;
Array map_blocks(BlockFunction f, std::span<const Array> inputs, DType dtype, std::string name = "map_blocks");
inline Array map_blocks(BlockFunction f, const Array& x, DType dtype, std::string name = "map_blocks") {
  return map_blocks(std::move(f), std::span<const Array>(&x, 1), dtype, std::move(name));
}

namespace random {
/// Counter-based numbers: element i of the whole array is the same whatever
/// the chunks or the number of ranks.
Array uniform(Shape shape, ChunkSpec chunks = {}, std::uint64_t seed = 0, double low = 0.0, double high = 1.0);
Array normal(Shape shape, ChunkSpec chunks = {}, std::uint64_t seed = 0, double mean = 0.0, double stddev = 1.0);
/// Integers in [low, high), int64.
Array integers(std::int64_t low, std::int64_t high, Shape shape, ChunkSpec chunks = {}, std::uint64_t seed = 0);
}  // namespace random

}  // namespace array

using array::Array;
using array::NDArray;

}  // namespace tessera
