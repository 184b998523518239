// Reductions as tree reductions over small states (STYLE.md §8.5). The first
// stage runs the operand's compiled chain over each block and folds its tiles
// straight into the block's state: an elementwise chain followed by a
// reduction reads each input chunk once and writes no intermediate chunk.
// Later stages merge at most ~8 states at a time; the last one turns states
// into values. States are a few 8-byte slots per output element: a sum (in
// int64/uint64/double, as NumPy accumulates), (sum, count) for means, (n, mean,
// M2) for variances merged with Chan et al.'s formula (never E[x²] - E[x]²),
// (value, index) for argmin/argmax. Sums fold each tile in eight lanes, so
// large arrays stay accurate to within reassociation of NumPy's pairwise sum.
#include "collections/array/array_graph.hpp"

#include <tessera/error.hpp>
#include <tessera/token.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

namespace tessera::array {
namespace detail {
namespace {

enum class Kind : std::uint8_t { sum, prod, mean, min, max, var, argmin, argmax, any, all };

struct OpInfo {
  Kind kind;
  bool skip_nan;
  bool sqrt;  // std: var's square root
};

OpInfo info_of(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return {Kind::sum, false, false};
    case ReduceOp::prod: return {Kind::prod, false, false};
    case ReduceOp::mean: return {Kind::mean, false, false};
    case ReduceOp::min: return {Kind::min, false, false};
    case ReduceOp::max: return {Kind::max, false, false};
    case ReduceOp::var: return {Kind::var, false, false};
    case ReduceOp::std: return {Kind::var, false, true};
    case ReduceOp::argmin: return {Kind::argmin, false, false};
    case ReduceOp::argmax: return {Kind::argmax, false, false};
    case ReduceOp::any: return {Kind::any, false, false};
    case ReduceOp::all: return {Kind::all, false, false};
    case ReduceOp::nansum: return {Kind::sum, true, false};
    case ReduceOp::nanprod: return {Kind::prod, true, false};
    case ReduceOp::nanmean: return {Kind::mean, true, false};
    case ReduceOp::nanmin: return {Kind::min, true, false};
    case ReduceOp::nanmax: return {Kind::max, true, false};
    case ReduceOp::nanvar: return {Kind::var, true, false};
    case ReduceOp::nanstd: return {Kind::var, true, true};
    case ReduceOp::nanargmin: return {Kind::argmin, true, false};
    case ReduceOp::nanargmax: return {Kind::argmax, true, false};
  }
  return {Kind::sum, false, false};
}

DType result_dtype(ReduceOp op, DType in) {
  switch (info_of(op).kind) {
    case Kind::sum: case Kind::prod:
      if (is_float(in)) return in;
      return is_unsigned_int(in) ? DType::uint64 : DType::int64;
    case Kind::mean: case Kind::var: return in == DType::float32 ? DType::float32 : DType::float64;
    case Kind::min: case Kind::max: return in;
    case Kind::argmin: case Kind::argmax: return DType::int64;
    case Kind::any: case Kind::all: return DType::bool_;
  }
  return in;
}

int slots_of(Kind k) {
  switch (k) {
    case Kind::mean: case Kind::argmin: case Kind::argmax: return 2;
    case Kind::var: return 3;
    default: return 1;
  }
}

// The sums of float64 folds: f(a[k], b[k]) - shift into lane k & 7 (and its
// square into q), written with GCC's vector types: as eight scalar lanes GCC
// spilled the sums to the stack at half the speed. On AVX2 four doubles a
// vector: the var fold does a subtract, a multiply and two adds per element,
// which two-wide SSE2 could not keep up with memory.
enum class PairOp : std::uint8_t { first, add, subtract, multiply };

inline double pair(PairOp op, double u, double v) {
  switch (op) {
    case PairOp::first: return u;
    case PairOp::add: return u + v;
    case PairOp::subtract: return u - v;
    case PairOp::multiply: return u * v;
  }
  return u;
}

template <class V, PairOp Op, bool Squares>
[[gnu::always_inline]] inline void sums_loop(const double* a, const double* b, std::int64_t n, double shift,
                                             double (&s)[8], double (&q)[8]) {
  constexpr int w = sizeof(V) / sizeof(double);
  V acc_s[4] = {}, acc_q[4] = {};
  const V sh = V{} + shift;
  std::int64_t k = 0;
  for (; k + 4 * w <= n; k += 4 * w) {
    // `a` streams from memory; with a second operand streaming from L2 too
    // (x - m, m a row of 160 KB) the hardware prefetcher fell behind: 8 KB
    // ahead took a two-operand fold from 16.5 to 21 GB/s on one core here.
    __builtin_prefetch(a + k + 1024, 0, 0);
    __builtin_prefetch(a + k + 1024 + 64 / sizeof(double), 0, 0);
    for (int j = 0; j < 4; ++j) {
      V u, v = {};
      std::memcpy(&u, a + k + j * w, sizeof u);
      if constexpr (Op != PairOp::first) std::memcpy(&v, b + k + j * w, sizeof v);
      V d;
      if constexpr (Op == PairOp::first) d = u - sh;
      else if constexpr (Op == PairOp::add) d = (u + v) - sh;
      else if constexpr (Op == PairOp::subtract) d = (u - v) - sh;
      else d = (u * v) - sh;
      acc_s[j] += d;
      if constexpr (Squares) acc_q[j] += d * d;
    }
  }
  for (int j = 0; j < 4; ++j) {
    for (int i = 0; i < w; ++i) {
      s[(j * w + i) & 7] += acc_s[j][i];
      q[(j * w + i) & 7] += acc_q[j][i];
    }
  }
  for (; k < n; ++k) {
    const double d = pair(Op, a[k], b[k]) - shift;
    s[k & 7] += d;
    if constexpr (Squares) q[k & 7] += d * d;
  }
}

template <class V>
[[gnu::always_inline]] inline void sums_of(PairOp op, bool squares, const double* a, const double* b, std::int64_t n,
                                           double shift, double (&s)[8], double (&q)[8]) {
  auto run = [&](auto op_c) {
    if (squares) sums_loop<V, decltype(op_c)::value, true>(a, b, n, shift, s, q);
    else sums_loop<V, decltype(op_c)::value, false>(a, b, n, shift, s, q);
  };
  switch (op) {
    case PairOp::first: run(std::integral_constant<PairOp, PairOp::first>{}); break;
    case PairOp::add: run(std::integral_constant<PairOp, PairOp::add>{}); break;
    case PairOp::subtract: run(std::integral_constant<PairOp, PairOp::subtract>{}); break;
    case PairOp::multiply: run(std::integral_constant<PairOp, PairOp::multiply>{}); break;
  }
}

void sums_sse2(PairOp op, bool squares, const double* a, const double* b, std::int64_t n, double shift,
               double (&s)[8], double (&q)[8]) {
  sums_of<double __attribute__((vector_size(16)))>(op, squares, a, b, n, shift, s, q);
}

__attribute__((target("avx2"))) void sums_avx2(PairOp op, bool squares, const double* a, const double* b,
                                               std::int64_t n, double shift, double (&s)[8], double (&q)[8]) {
  sums_of<double __attribute__((vector_size(32)))>(op, squares, a, b, n, shift, s, q);
}

void shifted_sums(PairOp op, bool squares, const double* a, const double* b, std::int64_t n, double shift,
                  double (&s)[8], double (&q)[8]) {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) sums_avx2(op, squares, a, b, n, shift, s, q);
  else sums_sse2(op, squares, a, b, n, shift, s, q);
}

class Reducer {
 public:
  virtual ~Reducer() = default;
  virtual void init(std::byte* cells, std::int64_t count) const = 0;
  /// All n elements into one cell; element k is at `position + k` (argmin/argmax).
  virtual void fold(const void* x, std::int64_t n, std::byte* cell, std::int64_t position) const = 0;
  /// Element k into cell k; every element is at `position`.
  virtual void accumulate(const void* x, std::int64_t n, std::byte* cells, std::int64_t position) const = 0;
  /// op(a[k], b[k]) for k < n into one cell, as fold() would; false (and
  /// nothing done) when this reducer has no such loop.
  virtual bool fold_binary(BinaryOp op, const void* a, const void* b, std::int64_t n, std::byte* cell) const = 0;
  virtual void merge(std::byte* into, const std::byte* from, std::int64_t count) const = 0;
  virtual void finalize(const std::byte* cells, std::int64_t count, void* out) const = 0;
  int slots = 1;
};

template <class T>
bool nan_value(T v) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(v);
  else return false;
}

template <class T>
class TypedReducer final : public Reducer {
 public:
  using A = std::conditional_t<std::is_floating_point_v<T>, double,
                               std::conditional_t<std::is_unsigned_v<T> && !std::is_same_v<T, bool>, std::uint64_t,
                                                  std::int64_t>>;
  TypedReducer(OpInfo op, DType out, int ddof) : op_(op), out_(out), ddof_(ddof) { slots = slots_of(op.kind); }

  void init(std::byte* cells, std::int64_t count) const override {
    for (std::int64_t c = 0; c < count; ++c) {
      std::byte* cell = cells + c * slots * 8;
      switch (op_.kind) {
        case Kind::sum: put<A>(cell, 0, A(0)); break;
        case Kind::prod: put<A>(cell, 0, A(1)); break;
        case Kind::mean: put<double>(cell, 0, 0.0); put<double>(cell, 1, 0.0); break;
        case Kind::var: put<double>(cell, 0, 0.0); put<double>(cell, 1, 0.0); put<double>(cell, 2, 0.0); break;
        case Kind::min: put<A>(cell, 0, op_.skip_nan && std::is_floating_point_v<T> ? nan_a() : highest()); break;
        case Kind::max: put<A>(cell, 0, op_.skip_nan && std::is_floating_point_v<T> ? nan_a() : lowest()); break;
        case Kind::argmin: case Kind::argmax: put<A>(cell, 0, A(0)); put<std::int64_t>(cell, 1, -1); break;
        case Kind::any: put<std::int64_t>(cell, 0, 0); break;
        case Kind::all: put<std::int64_t>(cell, 0, 1); break;
      }
    }
  }

  // Adds x[0, n) into eight lanes (lane k & 7 gets element k, skipping NaNs
  // when asked); returns how many were added. Without NaN skipping it runs
  // eight at a time: `lanes[k & 7] +=` one element at a time kept each lane in
  // memory (a store-to-load chain per element, a third of the W2std fold time).
  static std::int64_t sum_lanes(const T* x, std::int64_t n, bool skip_nan, double (&lanes)[8]) {
    if (skip_nan) {
      std::int64_t count = 0;
      for (std::int64_t k = 0; k < n; ++k) {
        const bool ok = !nan_value(x[k]);
        lanes[k & 7] += ok ? static_cast<double>(x[k]) : 0.0;
        count += ok;
      }
      return count;
    }
    std::int64_t k = 0;
    for (; k + 8 <= n; k += 8) {
      for (int j = 0; j < 8; ++j) lanes[j] += static_cast<double>(x[k + j]);
    }
    for (; k < n; ++k) lanes[k & 7] += static_cast<double>(x[k]);
    return n;
  }

  void fold(const void* data, std::int64_t n, std::byte* cell, std::int64_t position) const override {
    const T* x = static_cast<const T*>(data);
    if constexpr (std::is_same_v<T, double>) {
      // float64 sum, mean and var without NaN skipping: the vector loops a
      // folded last operation uses, over x alone.
      if (fold_pair(PairOp::first, x, x, n, cell)) return;
    }
    switch (op_.kind) {
      case Kind::sum: {
        if constexpr (std::is_floating_point_v<T>) {
          double lanes[8] = {};
          sum_lanes(x, n, op_.skip_nan, lanes);
          put<double>(cell, 0, get<double>(cell, 0) + pairwise8(lanes));
        } else {
          A s = get<A>(cell, 0);
          for (std::int64_t k = 0; k < n; ++k) s = static_cast<A>(s + static_cast<A>(x[k]));
          put<A>(cell, 0, s);
        }
        break;
      }
      case Kind::mean: {
        if constexpr (std::is_floating_point_v<T>) {
          double lanes[8] = {};
          const std::int64_t count = sum_lanes(x, n, op_.skip_nan, lanes);
          put<double>(cell, 0, get<double>(cell, 0) + pairwise8(lanes));
          put<double>(cell, 1, get<double>(cell, 1) + static_cast<double>(count));
        } else {
          double s = 0;
          for (std::int64_t k = 0; k < n; ++k) s += static_cast<double>(x[k]);
          put<double>(cell, 0, get<double>(cell, 0) + s);
          put<double>(cell, 1, get<double>(cell, 1) + static_cast<double>(n));
        }
        break;
      }
      case Kind::var: {
        // The tile's own (n, mean, M2) in one pass over sums shifted by a
        // value of the tile (its first non-NaN element, so the shift sits
        // within the data's spread and s * s / n cancels little), then Chan's merge.
        std::int64_t first = 0;
        if (op_.skip_nan) {
          while (first < n && nan_value(x[first])) ++first;
        }
        if (first == n) break;
        const double shift = static_cast<double>(x[first]);
        double s[8] = {}, q[8] = {};
        std::int64_t count = 0;
        if (op_.skip_nan) {
          for (std::int64_t k = first; k < n; ++k) {
            const bool ok = !nan_value(x[k]);
            const double d = ok ? static_cast<double>(x[k]) - shift : 0.0;
            s[k & 7] += d;
            q[k & 7] += d * d;
            count += ok;
          }
        } else {
          for (std::int64_t k = 0; k < n; ++k) {
            const double d = static_cast<double>(x[k]) - shift;
            s[k & 7] += d;
            q[k & 7] += d * d;
          }
          count = n;
        }
        merge_shifted(cell, static_cast<double>(count), shift, s, q);
        break;
      }
      default:
        for (std::int64_t k = 0; k < n; ++k) update(cell, x[k], position + k);
    }
  }

  bool fold_binary(BinaryOp op, const void* a, const void* b, std::int64_t n, std::byte* cell) const override {
    if constexpr (!std::is_same_v<T, double>) {
      return false;
    } else {
      const auto* x = static_cast<const double*>(a);
      const auto* y = static_cast<const double*>(b);
      switch (op) {
        case BinaryOp::subtract:
          return fold_pair(PairOp::subtract, x, y, n, cell);
        case BinaryOp::add:
          return fold_pair(PairOp::add, x, y, n, cell);
        case BinaryOp::multiply:
          return fold_pair(PairOp::multiply, x, y, n, cell);
        default: return false;
      }
    }
  }

  void accumulate(const void* data, std::int64_t n, std::byte* cells, std::int64_t position) const override {
    const T* x = static_cast<const T*>(data);
    const int s = slots;
    switch (op_.kind) {
      case Kind::sum:
        for (std::int64_t k = 0; k < n; ++k) {
          if (op_.skip_nan && nan_value(x[k])) continue;
          std::byte* cell = cells + k * s * 8;
          put<A>(cell, 0, static_cast<A>(get<A>(cell, 0) + static_cast<A>(x[k])));
        }
        break;
      case Kind::mean:
        for (std::int64_t k = 0; k < n; ++k) {
          if (op_.skip_nan && nan_value(x[k])) continue;
          std::byte* cell = cells + k * s * 8;
          put<double>(cell, 0, get<double>(cell, 0) + static_cast<double>(x[k]));
          put<double>(cell, 1, get<double>(cell, 1) + 1.0);
        }
        break;
      case Kind::var:
        for (std::int64_t k = 0; k < n; ++k) {  // Welford
          if (op_.skip_nan && nan_value(x[k])) continue;
          std::byte* cell = cells + k * s * 8;
          const double cnt = get<double>(cell, 0) + 1.0;
          const double v = static_cast<double>(x[k]);
          const double d = v - get<double>(cell, 1);
          const double mean = get<double>(cell, 1) + d / cnt;
          put<double>(cell, 0, cnt);
          put<double>(cell, 1, mean);
          put<double>(cell, 2, get<double>(cell, 2) + d * (v - mean));
        }
        break;
      default:
        for (std::int64_t k = 0; k < n; ++k) update(cells + k * s * 8, x[k], position);
    }
  }

  void merge(std::byte* into, const std::byte* from, std::int64_t count) const override {
    for (std::int64_t c = 0; c < count; ++c) {
      std::byte* a = into + c * slots * 8;
      const std::byte* b = from + c * slots * 8;
      switch (op_.kind) {
        case Kind::sum: put<A>(a, 0, static_cast<A>(get<A>(a, 0) + get<A>(b, 0))); break;
        case Kind::prod: put<A>(a, 0, static_cast<A>(mul(get<A>(a, 0), get<A>(b, 0)))); break;
        case Kind::mean:
          put<double>(a, 0, get<double>(a, 0) + get<double>(b, 0));
          put<double>(a, 1, get<double>(a, 1) + get<double>(b, 1));
          break;
        case Kind::var: merge_moments(a, get<double>(b, 0), get<double>(b, 1), get<double>(b, 2)); break;
        case Kind::min: case Kind::max: merge_extreme(a, get<A>(b, 0)); break;
        case Kind::argmin: case Kind::argmax:
          if (get<std::int64_t>(b, 1) >= 0) update_arg(a, get<A>(b, 0), get<std::int64_t>(b, 1));
          break;
        case Kind::any: put<std::int64_t>(a, 0, get<std::int64_t>(a, 0) | get<std::int64_t>(b, 0)); break;
        case Kind::all: put<std::int64_t>(a, 0, get<std::int64_t>(a, 0) & get<std::int64_t>(b, 0)); break;
      }
    }
  }

  void finalize(const std::byte* cells, std::int64_t count, void* out) const override {
    visit_dtype(out_, [&](auto r) {
      using R = decltype(r);
      R* o = static_cast<R*>(out);
      for (std::int64_t c = 0; c < count; ++c) {
        const std::byte* cell = cells + c * slots * 8;
        switch (op_.kind) {
          case Kind::sum: case Kind::prod: case Kind::min: case Kind::max: o[c] = static_cast<R>(get<A>(cell, 0)); break;
          case Kind::mean: o[c] = static_cast<R>(get<double>(cell, 0) / get<double>(cell, 1)); break;
          case Kind::var: {
            const double dof = get<double>(cell, 0) - ddof_;
            double v = dof > 0 ? get<double>(cell, 2) / dof : std::numeric_limits<double>::quiet_NaN();
            if (op_.sqrt) v = std::sqrt(v);
            o[c] = static_cast<R>(v);
            break;
          }
          case Kind::argmin: case Kind::argmax:
            // Only a nan-variant sees no candidate: NumPy raises there, and -1 would be a valid index.
            if (get<std::int64_t>(cell, 1) < 0) {
              throw InputError(std::string(op_.kind == Kind::argmin ? "nanargmin" : "nanargmax") +
                               ": All-NaN slice encountered");
            }
            o[c] = static_cast<R>(get<std::int64_t>(cell, 1));
            break;
          case Kind::any: case Kind::all: o[c] = static_cast<R>(get<std::int64_t>(cell, 0) != 0); break;
        }
      }
    });
  }

 private:
  template <class V>
  static V get(const std::byte* cell, int slot) {
    V v;
    std::memcpy(&v, cell + slot * 8, sizeof(V));
    return v;
  }
  template <class V>
  static void put(std::byte* cell, int slot, V v) {
    std::memcpy(cell + slot * 8, &v, sizeof(V));
  }
  // sum, mean or var of f(a[k], b[k]) straight into the cell: the last
  // elementwise operation folded without writing its tile.
  bool fold_pair(PairOp op, const double* a, const double* b, std::int64_t n, std::byte* cell) const {
    const bool supported = !op_.skip_nan && (op_.kind == Kind::sum || op_.kind == Kind::mean || op_.kind == Kind::var);
    if (!supported || n == 0) return supported;  // n == 0: a probe
    double s[8] = {}, q[8] = {};
    switch (op_.kind) {
      case Kind::sum:
        shifted_sums(op, false, a, b, n, 0.0, s, q);
        put<double>(cell, 0, get<double>(cell, 0) + pairwise8(s));
        return true;
      case Kind::mean:
        shifted_sums(op, false, a, b, n, 0.0, s, q);
        put<double>(cell, 0, get<double>(cell, 0) + pairwise8(s));
        put<double>(cell, 1, get<double>(cell, 1) + static_cast<double>(n));
        return true;
      case Kind::var: {
        const double shift = pair(op, a[0], b[0]);
        shifted_sums(op, true, a, b, n, shift, s, q);
        merge_shifted(cell, static_cast<double>(n), shift, s, q);
        return true;
      }
      default: return false;
    }
  }

  // A tile's (n, mean, M2) from its sums shifted by `shift` (s of x - shift,
  // q of its squares), merged into the cell by Chan's formula.
  static void merge_shifted(std::byte* cell, double count, double shift, const double (&s)[8], const double (&q)[8]) {
    const double sum = pairwise8(s);
    merge_moments(cell, count, shift + sum / count, std::max(0.0, pairwise8(q) - sum * sum / count));
  }

  static double pairwise8(const double* l) { return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])); }
  static A nan_a() {
    if constexpr (std::is_floating_point_v<A>) return std::numeric_limits<A>::quiet_NaN();
    else return A(0);
  }
  static A highest() {
    if constexpr (std::is_floating_point_v<T>) return std::numeric_limits<double>::infinity();
    else if constexpr (std::is_same_v<T, bool>) return A(1);
    else return static_cast<A>(std::numeric_limits<T>::max());
  }
  static A lowest() {
    if constexpr (std::is_floating_point_v<T>) return -std::numeric_limits<double>::infinity();
    else if constexpr (std::is_same_v<T, bool>) return A(0);
    else return static_cast<A>(std::numeric_limits<T>::lowest());
  }
  static A mul(A a, A b) {
    if constexpr (std::is_floating_point_v<A>) return a * b;
    else return static_cast<A>(static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b));
  }
  static bool is_nan_a(A v) {
    if constexpr (std::is_floating_point_v<A>) return std::isnan(v);
    else return false;
  }
  static void merge_moments(std::byte* cell, double nb, double mb, double m2b) {
    if (nb == 0) return;
    const double na = get<double>(cell, 0);
    const double n = na + nb;
    const double d = mb - get<double>(cell, 1);
    put<double>(cell, 0, n);
    put<double>(cell, 1, get<double>(cell, 1) + d * nb / n);
    put<double>(cell, 2, get<double>(cell, 2) + m2b + d * d * na * nb / n);
  }
  // min/max: NaN propagates, or (nan-variants) is skipped.
  void merge_extreme(std::byte* cell, A v) const {
    const A s = get<A>(cell, 0);
    if (op_.skip_nan) {
      if (is_nan_a(v)) return;
      if (is_nan_a(s) || (op_.kind == Kind::min ? v < s : v > s)) put<A>(cell, 0, v);
    } else {
      if (is_nan_a(s)) return;
      if (is_nan_a(v) || (op_.kind == Kind::min ? v < s : v > s)) put<A>(cell, 0, v);
    }
  }
  void update_arg(std::byte* cell, A v, std::int64_t index) const {
    if (op_.skip_nan && is_nan_a(v)) return;
    const std::int64_t si = get<std::int64_t>(cell, 1);
    if (si < 0) {
      put<A>(cell, 0, v);
      put<std::int64_t>(cell, 1, index);
      return;
    }
    const A s = get<A>(cell, 0);
    bool better;
    if (is_nan_a(s)) better = is_nan_a(v) && index < si;  // the first NaN wins
    else if (is_nan_a(v)) better = true;
    else better = (op_.kind == Kind::argmin ? v < s : v > s) || (v == s && index < si);
    if (better) {
      put<A>(cell, 0, v);
      put<std::int64_t>(cell, 1, index);
    }
  }
  void update(std::byte* cell, T x, std::int64_t position) const {
    switch (op_.kind) {
      case Kind::prod:
        if (op_.skip_nan && nan_value(x)) return;
        put<A>(cell, 0, mul(get<A>(cell, 0), static_cast<A>(x)));
        return;
      case Kind::min: case Kind::max: merge_extreme(cell, static_cast<A>(x)); return;
      case Kind::argmin: case Kind::argmax: update_arg(cell, static_cast<A>(x), position); return;
      case Kind::any:
        if (x != T(0)) put<std::int64_t>(cell, 0, 1);
        return;
      case Kind::all:
        if (x == T(0)) put<std::int64_t>(cell, 0, 0);
        return;
      default: return;
    }
  }

  OpInfo op_;
  DType out_;
  int ddof_;
};

std::shared_ptr<const Reducer> make_reducer(const ReductionSpec& spec, DType in, DType out) {
  return visit_dtype(in, [&](auto t) -> std::shared_ptr<const Reducer> {
    return std::make_shared<TypedReducer<decltype(t)>>(info_of(spec.op), out, spec.ddof);
  });
}

struct Plan {
  Program program;
  std::shared_ptr<const Reducer> reducer;
  ReductionSpec spec;
  std::vector<bool> reduced;  // per operand axis
  DType out_dtype;
  bool arg = false;
  // The program's last instruction is a binary op the reducer folds itself (fold_binary).
  bool fold_last = false;
  // Per leaf: read by the chunk task itself, in slabs of rows (BlockLayer::read_rows),
  // rather than given to it as a task input.
  std::vector<std::uint8_t> streamed;
  bool streams = false;
};

// A slab of a streamed leaf: a few MB, so that it is still in cache when it is
// folded, and a chunk task over a file touches no fresh memory. On this VM
// freed memory goes back to the host (page_reporting_order=11), and a fresh
// 128 MiB chunk buffer faulted in at 0.3-0.5 GB/s: most of W2's first run.
// Slabs of 2-4 MiB ran W2's literal form fastest (0.5-16 MiB measured).
constexpr std::int64_t slab_bytes = 4 << 20;

// Scratch for slabs, per thread and streamed leaf, reused by every chunk task.
thread_local std::vector<std::vector<std::byte>> slab_scratch;

// The state of a block: its shape with the reduced axes set to 1, K slots a cell.
Shape state_shape(const Plan& plan, const Shape& block) {
  Shape s = block;
  for (std::size_t d = 0; d < s.size(); ++d) {
    if (plan.reduced[d]) s[d] = 1;
  }
  return s;
}

// The full index (reduced axes included, as 0) of a final block's key index.
Shape expand(const Plan& plan, std::span<const std::int64_t> index) {
  if (plan.spec.keepdims || index.size() == plan.reduced.size()) return Shape(index.begin(), index.end());
  Shape full(plan.reduced.size(), 0);
  std::size_t k = 0;
  for (std::size_t d = 0; d < full.size(); ++d) {
    if (!plan.reduced[d]) full[d] = index[k++];
  }
  return full;
}

Value finalize_state(const Plan& plan, const Buffer& state, std::int64_t cells) {
  Buffer out(static_cast<std::size_t>(cells) * itemsize(plan.out_dtype));
  plan.reducer->finalize(state.data(), cells, out.data());
  return Value::of(std::move(out));
}

// Folds a ProgramRun's tiles into a block's state.
class BlockFold {
 public:
  BlockFold(const Plan& plan, std::span<const std::int64_t> index, const Shape& shape)
      : plan_(plan), nd_(shape.size()), sshape_(state_shape(plan, shape)), cells_(product(sshape_)),
        sstrides_(nd_, 1), offset_(block_offset(plan.program.chunks, index)), gstrides_(nd_, 1),
        state_(static_cast<std::size_t>(cells_ * plan.reducer->slots * 8)) {
    for (std::size_t d = nd_; d-- > 1;) sstrides_[d - 1] = sstrides_[d] * sshape_[d];
    for (std::size_t d = nd_; d-- > 1;) gstrides_[d - 1] = gstrides_[d] * plan.program.shape[d];
    plan.reducer->init(state_.data(), cells_);
  }

  /// The run's tiles, whose row 0 is the block's row `first_row`.
  void fold(ProgramRun& run, std::int64_t first_row) {
    const Plan& plan = plan_;
    const std::size_t nd = nd_;
    const bool last_reduced = nd == 0 || plan.reduced[nd - 1];
    const bool all_reduced = std::all_of(plan.reduced.begin(), plan.reduced.end(), [](bool r) { return r; });
    const std::int64_t cell_bytes = plan.reducer->slots * 8;
    int arg_axis = -1;
    if (plan.arg && !plan.spec.flat_index) arg_axis = plan.spec.axes[0];
    const bool fold_last = plan.fold_last && last_reduced;
    run.defer_last(fold_last);
    run.for_each_tile(
        [&](const void* data, std::int64_t n, std::span<const std::int64_t> at, std::int64_t) {
          auto coordinate = [&](std::size_t d) { return d == 0 ? at[0] + first_row : at[d]; };
          std::int64_t cell = 0;
          for (std::size_t d = 0; d < nd; ++d) {
            if (!plan.reduced[d]) cell += coordinate(d) * sstrides_[d];
          }
          std::int64_t position = 0;
          if (plan.arg) {
            if (plan.spec.flat_index) {
              for (std::size_t d = 0; d < nd; ++d) position += (offset_[d] + coordinate(d)) * gstrides_[d];
            } else {
              const auto a = static_cast<std::size_t>(arg_axis);
              position = offset_[a] + coordinate(a);
            }
          }
          std::byte* target = state_.data() + cell * cell_bytes;
          if (fold_last) {
            const auto [a, b] = run.last_operands();
            plan.reducer->fold_binary(plan.program.instrs.back().binary_op, a, b, n, target);
          } else if (last_reduced) {
            plan.reducer->fold(data, n, target, position);
          } else {
            plan.reducer->accumulate(data, n, target, position);
          }
        },
        /*whole_rows=*/!(all_reduced && !plan.arg));
  }

  Value result(bool final) {
    if (final) return finalize_state(plan_, state_, cells_);
    return Value::of(std::move(state_));
  }

 private:
  const Plan& plan_;
  std::size_t nd_;
  Shape sshape_;
  std::int64_t cells_;
  Shape sstrides_, offset_, gstrides_;  // gstrides_: of the whole operand, for flat argmin/argmax positions
  Buffer state_;
};

class ChunkLayer final : public Layer {
 public:
  ChunkLayer(std::shared_ptr<const Plan> plan, bool final) : plan_(std::move(plan)), final_(final) {}
  Value run(std::span<const std::int64_t> key_index, std::span<const Value* const> inputs) const override {
    const Plan& plan = *plan_;
    const Shape index = final_ ? expand(plan, key_index) : Shape(key_index.begin(), key_index.end());
    if (!plan.streams) {
      ProgramRun run(plan.program, index, inputs);
      BlockFold fold(plan, index, run.shape());
      fold.fold(run, 0);
      return fold.result(final_);
    }
    return run_in_slabs(index, inputs);
  }

 private:
  // The streamed leaves' blocks (whose chunks are the program's) in slabs of
  // rows, each read into reused scratch and folded before the next is read.
  Value run_in_slabs(const Shape& index, std::span<const Value* const> inputs) const {
    const Plan& plan = *plan_;
    const auto& leaves = plan.program.leaves;
    const Shape shape = block_shape(plan.program.chunks, index);
    BlockFold fold(plan, index, shape);
    const std::int64_t row_elements = product(std::span(shape).subspan(1));
    std::int64_t row_bytes = 1;
    for (std::size_t l = 0; l < leaves.size(); ++l) {
      if (plan.streamed[l]) row_bytes = std::max(row_bytes, row_elements * static_cast<std::int64_t>(itemsize(leaves[l]->dtype)));
    }
    const std::int64_t rows = std::max<std::int64_t>(1, slab_bytes / row_bytes);
    if (slab_scratch.size() < leaves.size()) slab_scratch.resize(leaves.size());
    std::vector<std::span<const std::byte>> bytes(leaves.size());
    for (std::int64_t first = 0; first < shape[0]; first += rows) {
      const std::int64_t count = std::min(rows, shape[0] - first);
      std::size_t input = 0;
      for (std::size_t l = 0; l < leaves.size(); ++l) {
        if (!plan.streamed[l]) {
          const Buffer& b = block_buffer(*inputs[input++]);
          bytes[l] = {b.data(), b.size()};
          continue;
        }
        const auto need = static_cast<std::size_t>(count * row_elements) * itemsize(leaves[l]->dtype);
        auto& scratch = slab_scratch[l];
        if (scratch.size() < need) scratch.resize(need);
        if (need > 0) leaves[l]->layer->read_rows(index, first, count, scratch.data());
        bytes[l] = {scratch.data(), need};
      }
      ProgramRun run(plan.program, index, bytes, RowWindow{first, count}, plan.streamed);
      fold.fold(run, first);
    }
    return fold.result(final_);
  }

  std::shared_ptr<const Plan> plan_;
  bool final_;
};

class CombineLayer final : public Layer {
 public:
  CombineLayer(std::shared_ptr<const Plan> plan, bool final) : plan_(std::move(plan)), final_(final) {}
  Value run(std::span<const std::int64_t>, std::span<const Value* const> inputs) const override {
    const Plan& plan = *plan_;
    const Buffer& first = block_buffer(*inputs[0]);
    Buffer state(first);
    const std::int64_t cells = static_cast<std::int64_t>(state.size()) / (plan.reducer->slots * 8);
    for (std::size_t i = 1; i < inputs.size(); ++i) {
      plan.reducer->merge(state.data(), block_buffer(*inputs[i]).data(), cells);
    }
    if (final_) return finalize_state(plan, state, cells);
    return Value::of(std::move(state));
  }

 private:
  std::shared_ptr<const Plan> plan_;
  bool final_;
};

}  // namespace

NodeId build_reduction(GraphBuilder& builder, const ArrayExpr& e) {
  const ExprPtr& operand = e.inputs[0];
  auto plan = std::make_shared<Plan>();
  plan->program = compile(operand);
  plan->spec = e.reduction;
  plan->out_dtype = e.dtype;
  plan->reduced.assign(operand->shape.size(), false);
  for (int a : e.reduction.axes) plan->reduced[static_cast<std::size_t>(a)] = true;
  const Kind kind = info_of(e.reduction.op).kind;
  plan->arg = kind == Kind::argmin || kind == Kind::argmax;
  plan->reducer = make_reducer(e.reduction, plan->program.dtype, e.dtype);
  if (const auto& ins = plan->program.instrs; ins.size() > 1 && ins.back().kind == Instr::Kind::binary) {
    const Instr& last = ins.back();
    const bool doubles = last.dtype == DType::float64 && ins[static_cast<std::size_t>(last.a)].dtype == DType::float64 &&
                         ins[static_cast<std::size_t>(last.b)].dtype == DType::float64;
    plan->fold_last = doubles && !plan->arg && plan->reducer->fold_binary(last.binary_op, nullptr, nullptr, 0, nullptr);
  }

  // A leaf made from nothing in the program's own blocks (a file read) is
  // read by the chunk tasks in slabs: no task makes its whole blocks.
  // A leaf whose block rows (axis 0) exceed a slab keeps whole-block reads:
  // its slab would be a row, as large as the block and outside the budget.
  const Program& program = plan->program;
  auto row_fits_slab = [](const ArrayExpr& leaf) {
    std::int64_t bytes = static_cast<std::int64_t>(itemsize(leaf.dtype));
    for (std::size_t d = 1; d < leaf.chunks.size(); ++d) {
      bytes *= leaf.chunks[d].empty() ? 0 : *std::max_element(leaf.chunks[d].begin(), leaf.chunks[d].end());
    }
    return bytes <= slab_bytes;
  };
  for (const ExprPtr& leaf : program.leaves) {
    const bool streamed = leaf->kind == ExprKind::layer && leaf->layer && leaf->inputs.empty() &&
                          leaf->layer->reads_rows() && !leaf->shape.empty() && leaf->shape == program.shape &&
                          leaf->chunks == program.chunks && !has_unknown(leaf->chunks) && row_fits_slab(*leaf);
    plan->streamed.push_back(streamed ? 1 : 0);
    plan->streams = plan->streams || streamed;
  }
  std::vector<NodeId> leaf_first;
  std::vector<Shape> leaf_grid;
  for (std::size_t l = 0; l < program.leaves.size(); ++l) {
    const ExprPtr& leaf = program.leaves[l];
    leaf_first.push_back(plan->streamed[l] ? NodeId{} : builder.build(leaf));
    leaf_grid.push_back(grid_of(leaf->chunks));
  }
  Graph& graph = builder.graph();
  const std::size_t nd = operand->shape.size();
  Shape grid = grid_of(plan->program.chunks);
  auto done = [&](const Shape& g) {
    for (std::size_t d = 0; d < nd; ++d) {
      if (plan->reduced[d] && g[d] > 1) return false;
    }
    return true;
  };
  // The final layer's grid in key form (reduced axes dropped unless keepdims).
  auto key_grid = [&](const Shape& g) {
    Shape k;
    for (std::size_t d = 0; d < nd; ++d) {
      if (!plan->reduced[d] || e.reduction.keepdims) k.push_back(g[d]);
    }
    return k;
  };

  const bool chunk_final = done(grid);
  const std::string op = op_name(e.reduction.op);
  TokenHasher stage_token;
  stage_token.mix(e.token);
  std::vector<std::pair<int, Shape>> refs;
  const Shape chunk_grid = chunk_final ? key_grid(grid) : grid;
  NodeId first = graph.add_layer(
      chunk_final ? e.name : KeyName(op + "-chunk"), chunk_final ? e.token : stage_token.value(), chunk_grid,
      std::make_shared<ChunkLayer>(plan, chunk_final),
      [&](std::span<const std::int64_t> key_index, std::vector<NodeId>& deps) {
        const Shape index = chunk_final ? expand(*plan, key_index) : Shape(key_index.begin(), key_index.end());
        refs.clear();
        leaf_inputs(plan->program, index, refs);
        for (const auto& [leaf, block] : refs) {
          const auto l = static_cast<std::size_t>(leaf);
          if (plan->streamed[l]) continue;
          deps.push_back(leaf_first[l] + static_cast<NodeId>(linear_index(block, leaf_grid[l])));
        }
      });

  int level = 0;
  while (!done(grid)) {
    // Up to 8 blocks a group, taken from the innermost reduced axis outward:
    // a group is consecutive blocks in C order, the order chunks are read and
    // made in, so a subtree finishes before the next one's inputs are read
    // (square groups would hold every row band a group spans).
    Shape split(nd, 1);
    std::int64_t room = 8;
    for (std::size_t d = nd; d-- > 0 && room >= 2;) {
      if (!plan->reduced[d] || grid[d] == 1) continue;
      split[d] = std::min(grid[d], room);
      room /= split[d];
    }
    Shape next = grid;
    for (std::size_t d = 0; d < nd; ++d) next[d] = (grid[d] + split[d] - 1) / split[d];
    const bool final = done(next);
    stage_token.mix(static_cast<std::uint64_t>(++level));
    const Shape prev = grid;
    const NodeId prev_first = first;
    first = graph.add_layer(
        final ? e.name : KeyName(op + "-combine"), final ? e.token : stage_token.value(),
        final ? key_grid(next) : next, std::make_shared<CombineLayer>(plan, final),
        [&](std::span<const std::int64_t> key_index, std::vector<NodeId>& deps) {
          const Shape index = final ? expand(*plan, key_index) : Shape(key_index.begin(), key_index.end());
          // Every previous block in this block's group, in C order.
          Shape lo(nd), hi(nd);
          for (std::size_t d = 0; d < nd; ++d) {
            lo[d] = index[d] * split[d];
            hi[d] = std::min(prev[d], lo[d] + split[d]);
          }
          Shape at = lo;
          while (true) {
            deps.push_back(prev_first + static_cast<NodeId>(linear_index(at, prev)));
            std::size_t d = nd;
            while (d-- > 0) {
              if (++at[d] < hi[d]) break;
              at[d] = lo[d];
            }
            if (d == static_cast<std::size_t>(-1)) break;
          }
        });
    grid = next;
  }
  return first;
}

}  // namespace detail

using namespace detail;

namespace {

std::vector<int> normalize_axes(const Axes& axes, int nd, const char* op) {
  std::vector<int> out;
  if (axes.all()) {
    for (int d = 0; d < nd; ++d) out.push_back(d);
    return out;
  }
  for (int a : axes.list()) {
    const int n = a < 0 ? a + nd : a;
    if (n < 0 || n >= nd) {
      throw InputError(std::string(op) + ": axis " + std::to_string(a) + " is out of bounds for array of dimension " +
                       std::to_string(nd));
    }
    if (std::find(out.begin(), out.end(), n) != out.end()) {
      throw InputError(std::string(op) + ": duplicate value in 'axis' (" + std::to_string(a) + ")");
    }
    out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Array make_reduction(const Array& x, ReductionSpec spec) {
  const ArrayExpr& in = *x.expr();
  const char* op = op_name(spec.op);
  const Kind kind = info_of(spec.op).kind;
  // As NumPy: only an empty reduction that has somewhere to put its result
  // lacks an identity; (0, 5).min(axis=1) is simply empty.
  if (kind == Kind::min || kind == Kind::max || kind == Kind::argmin || kind == Kind::argmax) {
    bool empty_reduction = false, output_has_elements = true;
    for (std::size_t d = 0; d < in.shape.size(); ++d) {
      const bool reduced = std::find(spec.axes.begin(), spec.axes.end(), static_cast<int>(d)) != spec.axes.end();
      if (in.shape[d] != 0) continue;
      if (reduced) {
        empty_reduction = true;
      } else {
        output_has_elements = false;
      }
    }
    if (empty_reduction && output_has_elements) {
      throw InputError(std::string("zero-size array to reduction operation ") + op + " which has no identity");
    }
  }
  if (kind == Kind::argmin || kind == Kind::argmax) require_known(in, op);
  const DType dtype = result_dtype(spec.op, in.dtype);
  Shape shape;
  ChunkSizes chunks;
  for (std::size_t d = 0; d < in.shape.size(); ++d) {
    const bool reduced = std::find(spec.axes.begin(), spec.axes.end(), static_cast<int>(d)) != spec.axes.end();
    if (!reduced) {
      shape.push_back(in.shape[d]);
      chunks.push_back(in.chunks[d]);
    } else if (spec.keepdims) {
      shape.push_back(1);
      chunks.push_back({1});
    }
  }
  TokenHasher h;
  h.add(std::string_view(op));
  h.mix(in.token);
  h.mix(in.name.hash());
  for (int a : spec.axes) h.add(a);
  h.add(spec.keepdims);
  h.add(spec.ddof);
  h.add(spec.flat_index);
  auto e = make_expr(ExprKind::reduction, dtype, std::move(shape), std::move(chunks), op, h.value());
  e->inputs = {x.expr()};
  e->reduction = std::move(spec);
  return Array(std::move(e));
}

}  // namespace

Array Array::reduce(ReduceOp op, Axes axes, bool keepdims, int ddof) const {
  if (op == ReduceOp::argmin || op == ReduceOp::argmax || op == ReduceOp::nanargmin || op == ReduceOp::nanargmax) {
    if (axes.all()) return make_reduction(*this, {op, normalize_axes(axes, ndim(), op_name(op)), keepdims, 0, true});
    if (axes.list().size() != 1) throw InputError(std::string(op_name(op)) + " takes one axis or none");
  }
  return make_reduction(*this, {op, normalize_axes(axes, ndim(), op_name(op)), keepdims, ddof, false});
}

Array Array::argmin(::std::optional<int> axis, bool keepdims) const {
  return axis ? reduce(ReduceOp::argmin, Axes(*axis), keepdims) : reduce(ReduceOp::argmin, Axes(), keepdims);
}
Array Array::argmax(::std::optional<int> axis, bool keepdims) const {
  return axis ? reduce(ReduceOp::argmax, Axes(*axis), keepdims) : reduce(ReduceOp::argmax, Axes(), keepdims);
}

}  // namespace tessera::array
