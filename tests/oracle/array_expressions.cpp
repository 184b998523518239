// Computes named Array expressions on seeded inputs and writes the inputs and
// the results (rank 0) as raw little-endian files with a manifest, for
// array_oracle.py to recompute with NumPy on the same inputs. Run under
// mpiexec with any rank count: the results must not depend on it.
#include <tessera/array.hpp>
#include <tessera/io/hdf5.hpp>
#include <tessera/runtime.hpp>

#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>
#include <string>
#include <tuple>

namespace da = tessera::array;
using tessera::array::ChunkSpec;
using tessera::Array;
using tessera::DType;
using tessera::NDArray;

namespace {

std::string shape_text(const da::Shape& shape) {
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s.push_back(',');
    s.append(std::to_string(shape[i]));
  }
  return s.empty() ? "-" : s;
}

struct Writer {
  std::string dir;
  bool root;
  std::ofstream manifest;
  Writer(std::string d, bool r) : dir(std::move(d)), root(r) {
    if (root) manifest.open(dir + "/manifest.txt");
  }
  void put(const std::string& kind, const std::string& name, const NDArray& a) {
    if (!root) return;
    std::ofstream out(dir + "/" + name + ".bin", std::ios::binary);
    out.write(reinterpret_cast<const char*>(a.buffer().data()), static_cast<std::streamsize>(a.nbytes()));
    manifest << kind << ' ' << name << ' ' << tessera::dtype_name(a.dtype()) << ' ' << shape_text(a.shape()) << '\n';
  }
};

}  // namespace

int main(int argc, char** argv) {
  tessera::Runtime runtime(argc, argv);
  if (argc < 2) {
    std::cerr << "usage: array_expressions OUTDIR\n";
    return 2;
  }
  Writer w(argv[1], runtime.rank() == 0);
  const da::Shape shape{1537, 2311};
  const da::ChunkSpec chunks{500, 700};
  // Inputs: every dtype, chunks that do not divide the shape.
  Array x = da::random::normal(shape, chunks, 42);
  Array y = da::random::uniform(shape, chunks, 7, -2.0, 2.0).astype(DType::float32);
  Array i32 = da::random::integers(-50, 50, shape, chunks, 3).astype(DType::int32);
  Array i64 = da::random::integers(-1000000, 1000000, shape, chunks, 4);
  Array u8 = da::random::integers(0, 256, shape, chunks, 5).astype(DType::uint8);
  Array b = da::random::uniform(shape, chunks, 6) > 0.3;
  Array z = da::random::uniform({2311}, da::ChunkSpec{1000}, 8);  // other chunks: unified with x's
  Array t = da::random::normal({37, 41, 53}, {10, 20, 15}, 9);
  Array xn = da::where(x > 1.5, std::numeric_limits<double>::quiet_NaN(), x);
  for (auto& [name, a] : std::vector<std::pair<std::string, Array>>{
           {"x", x}, {"y", y}, {"i32", i32}, {"i64", i64}, {"u8", u8}, {"b", b}, {"z", z}, {"t", t},
           {"r", da::random::uniform({1200, 30}, {200, -1}, 12)},
           {"c", da::random::uniform({100, 2311}, {30, 1000}, 10)},
           {"m", da::random::uniform(shape, {300, 1000}, 13)},
           {"sq", da::random::normal({911, 911}, {300, 911}, 14)}}) {
    w.put("input", name, a.compute());
  }
  const std::vector<std::pair<std::string, Array>> results = {
      {"x_sum", x.sum()},
      {"x_mean_ax1_keep", x.mean(1, true)},
      {"seed_centered", x - x.mean(1, true)},
      {"seed_std", (x - x.mean(1, true)).std()},
      {"x_var_ax0_ddof1", x.var(0, false, 1)},
      {"x_std_ax1", x.std(1)},
      {"x_min_ax1", x.min(1)},
      {"x_max", x.max()},
      {"x_argmax", x.argmax()},
      {"x_argmin_ax0", x.argmin(0)},
      {"x_argmax_ax1", x.argmax(1)},
      {"x_prod_ax1", (x * 0.001 + 1).prod(1)},
      {"i32_plus_y", i32 + y},
      {"i32_sum", i32.sum()},
      {"i32_mean_ax0", i32.mean(0)},
      {"i64_sum_ax1", i64.sum(1)},
      {"i64_floordiv_mod", da::floor_divide(i64, 7) + i64 % -3},
      {"u8_sum_ax0", u8.sum(0)},
      {"u8_plus_1", u8 + 1},
      {"u8_max_ax1", u8.max(1)},
      {"b_any_ax1", b.any(1)},
      {"b_all_ax0", b.all(0)},
      {"b_sum", b.sum()},
      {"where_sqrt", da::where(x > 0, da::sqrt(x), -x)},
      {"unary_chain", da::exp(da::sin(x)) + da::log1p(da::abs(x)) - da::tanh(x) * da::floor(x) + da::ceil(y)},
      {"compare_logical", (x >= y) & (i32 < 5)},
      {"power_min_max", da::power(y, 2) + da::minimum(x, 0.5) - da::maximum(i32, 3)},
      {"clip", da::clip(x, -1, 1)},
      {"astype_i32", (x * 100).astype(DType::int32)},
      {"x_over_i32", x / (i32 + 100)},
      {"y_mean", y.mean()},
      {"y_sum_ax0", y.sum(0)},
      {"bcast_z", x * z - z.mean()},
      {"bcast_z_sum_ax0", (x + z).sum(0)},
      // The last binary op folded by the reducer itself (no tile written):
      // sum/mean/var of add/subtract/multiply, whole and along the last axis.
      {"fold_mul_sum", (x * z).sum()},
      {"fold_add_var_ax1", (x + z).var(1)},
      {"fold_sub_scalar_mean_ax1", (x - 3.5).mean(1, true)},
      {"fold_mul_std_ax1_ddof1", (x * x).std(1, false, 1)},
      {"fold_offset_var", (x + 1e8).var()},  // a large mean: the shifted sums must not cancel
      {"nansum", da::nansum(xn)},
      {"nanmean_ax1", da::nanmean(xn, 1)},
      {"nanmax_ax0", da::nanmax(xn, 0)},
      {"nanstd", da::nanstd(xn)},
      {"max_with_nan_ax1", xn.max(1)},
      {"isnan_count", da::isnan(xn).sum(1)},
      {"t_sum_02", t.sum({0, 2})},
      {"t_mean_02_keep", t.mean({0, 2}, true)},
      {"t_std_1", t.std(1)},
      {"t_var_all_ddof1", t.var({}, false, 1)},
      {"t_argmin_2", t.argmin(2)},
      {"t_bitwise", (da::arange(0, 1000, 1, tessera::array::ChunkSpec{64}) & 0x5a) ^ 3},
      {"linspace", da::linspace(-1, 1, 1001, tessera::array::ChunkSpec{100})},
      {"ones_sum", da::ones({1000, 3}, {.chunks = {333, 2}}).sum(0)},
      // Indexing, transpose, reshape, concatenate, stack, cumulative.
      {"x_slice_steps", x[{da::slice(10, 1500, 3), da::slice(-100, std::nullopt)}]},
      {"x_slice_negative", x[{da::slice(std::nullopt, std::nullopt, -7), da::slice(2000, 5, -13)}]},
      {"x_slice_aligned", x[{da::slice(500, 1000), da::slice(700, 2100)}]},
      {"x_int_slice", x[{5, da::slice(100, 900)}]},
      {"x_int_negative", x[-1]},
      {"x_scalar", x[{1536, -1}]},
      {"x_ellipsis_newaxis", x[{da::ellipsis, da::newaxis, da::slice(0, 10)}]},
      {"t_ellipsis_int", t[{da::ellipsis, 3}]},
      {"t_newaxis_int_step", t[{da::newaxis, 1, da::ellipsis, da::slice(std::nullopt, std::nullopt, 2)}]},
      {"x_take_rows", x[std::vector<std::int64_t>{5, 1536, 0, 0, -3, 700, 699, 698, 2, 4, 6}]},
      {"x_take_cols", x[{da::all_of_axis, std::vector<std::int64_t>{2310, 0, 699, 700, 701, 1400, 7, 7}}]},
      {"t_take_apart", t[{2, da::all_of_axis, std::vector<std::int64_t>{0, 52, 10}}]},
      {"u8_slice_sum", u8[da::slice(1, std::nullopt, 2)].sum(0)},
      {"slice_then_chain", (x[{da::slice(3, std::nullopt, 2)}] * 2 + y[{da::slice(3, std::nullopt, 2)}]).mean(0)},
      {"x_transpose", x.transpose()},
      {"x_transpose_mean", x.transpose().mean(1)},
      {"t_transpose_201", t.transpose({2, 0, 1})},
      {"t_swapaxes", da::swapaxes(t, 0, -1)},
      {"reshape_split", da::arange(8400, ChunkSpec{1050}).reshape({24, 35, 10})},
      {"reshape_merge", da::arange(8400, ChunkSpec{1050}).reshape({24, 35, 10}).reshape({-1, 10}).sum(1)},
      {"reshape_rows", da::random::uniform({1200, 30}, {200, -1}, 12).reshape({6, 200, 30}).mean({1, 2})},
      {"ravel", da::random::uniform({1200, 30}, {200, -1}, 12).ravel()},
      {"concat_ax0", da::concatenate({x, y, i32}, 0)},
      {"concat_ax1", da::concatenate({x, x * 2}, -1)},
      {"concat_rechunk", da::concatenate({x, da::random::uniform({100, 2311}, {30, 1000}, 10)}, 0)},
      {"stack_ax1", da::stack({x[da::slice(0, 300)], y[da::slice(0, 300)]}, 1)},
      {"stack_ax0_sum", da::stack({i32, i64, u8}).sum(0)},
      {"x_cumsum_ax1", x.cumsum(1)},
      {"x_cumsum_ax0", x.cumsum(0)},
      {"i32_cumsum_ax0", i32.cumsum(0)},
      {"u8_cumsum_ax1", u8.cumsum(1)},
      {"b_cumsum_ax0", b.cumsum(0)},
      {"y_cumsum_ax0", y.cumsum(0)},
      {"t_cumprod_2", (t * 0.01 + 1).cumprod(2)},
      {"i64_cumprod_wraps", (i64 % 5 + 2).cumprod(1)},
      {"cumsum_flat", da::arange(8400, ChunkSpec{1050}).reshape({24, 35, 10}).cumsum()},
      {"ravel_cut_columns", x.ravel()},        // rechunked into panels of whole rows first, as Dask
      {"cumsum_flat_cut_columns", i32.cumsum()},
      {"empty_rows_min_ax1", x[da::slice(3, 3)].min(1)},
      {"rechunk_bigger", x.rechunk({1000, 2311}).sum(1)},
      {"rechunk_odd", i64.rechunk(da::ChunkSizes{{1, 1536}, {2000, 300, 11}})},
      // Boolean masks: lengths unknown until computed.
      {"mask_elements", x[x > 1]},
      {"mask_rows", x[x.sum(1) > 0]},
      {"mask_sum", x[x > 0].sum()},
      {"mask_chain_mean", (x[x > 0.5] * 2 + 1).mean()},
      {"mask_rows_mean_ax0", x[x.sum(1) > 0].mean(0)},
      {"mask_rows_max_ax1", x[x.sum(1) > 0].max(1)},
      {"mask_i32", i32[i32 % 7 == 0]},
      {"mask_other_chunks", x[da::random::uniform(shape, {300, 1000}, 13) > 0.5]},
      {"mask_twice", [&] {
         Array p = x[x > 0];
         return p[p < 1] + p[p < 1];
       }()},
      {"mask_t_lead2", t[t.sum(2) > 0]},
      {"mask_length1_broadcasts", [&] {
         Array r = da::arange(0, 40, 1, ChunkSpec{40});
         return r[r == 7] * 10 + r[r % 3 == 0];
       }()},
      {"mask_persisted_slice", x[x > 1].persist()[da::slice(5, 3000, 2)] - 1},
  };
  for (const auto& [name, a] : results) w.put("result", name, a.compute());
  // Histograms: counts against np.histogram's, edges too (integers on the edges, NaN, float32).
  const std::vector<std::tuple<std::string, Array, std::int64_t, double, double>> histograms = {
      {"x", x, 10, -2.0, 2.0}, {"xn", xn, 13, -1.0, 1.5}, {"i32", i32, 7, -50.0, 49.0},
      {"u8", u8, 8, 0.0, 256.0}, {"y", y, 5, -2.0, 2.0}, {"t", t, 1, -0.5, 0.5}};
  for (const auto& [name, a, bins, lo, hi] : histograms) {
    const auto [counts, edges] = da::histogram(a, bins, {lo, hi});
    w.put("result", name + "_hist_counts", counts.compute());
    w.put("result", name + "_hist_edges", edges);
  }
  // HDF5: written by every rank's chunks, read back chunk by chunk; and a file h5py wrote.
  const std::string h5 = std::string(argv[1]) + "/arrays.h5";
  Array sq = da::random::normal({911, 911}, {300, 911}, 14);
  const std::vector<std::pair<std::string, Array>> to_write = {{"/x", x}, {"/g/i32", i32}, {"/b", b}, {"/sq", sq}};
  da::to_hdf5(h5, to_write);
  Array xr = da::from_hdf5(h5, "/x", {400, 1000});
  w.put("result", "h5_seed_std", (xr - xr.mean(1, true)).std().compute());
  // The seed's literal form, whose means broadcast along the other axis: x is
  // read a second time for the second pass (row bands and square blocks).
  Array sr = da::from_hdf5(h5, "/sq", {200, 911});
  Array ss = da::from_hdf5(h5, "/sq", {250, 250});
  w.put("result", "h5_literal_std", (sr - sr.mean(1)).std().compute());
  w.put("result", "h5_literal_std_square_blocks", (ss - ss.mean(1)).std().compute());
  w.put("result", "h5_literal_centered", (sr - sr.mean(1)).compute());
  w.put("result", "h5_column_centered_sum_ax1", (sr - sr.mean(0)).sum(1).compute());
  w.put("result", "h5_all_centered_max_ax0", (ss - ss.mean()).max(0).compute());
  w.put("result", "h5_i32_as_f64_sum_ax0", da::from_hdf5(h5, "/g/i32", {}, DType::float64).sum(0).compute());
  const std::string in = std::string(argv[1]) + "/h5py_in.h5";
  w.put("result", "h5py_f32_sum_ax1", da::from_hdf5(in, "/grp/f32").sum(1).compute());
  w.put("result", "h5py_i32_in_group", da::from_hdf5(in, "/grp/sub/i32", {7, 5}).compute());
  w.put("result", "h5py_i64_mean", da::from_hdf5(in, "/i64", ChunkSpec{100}).mean().compute());
  // Whole-dataset blocks larger than a reduction's 4 MiB slab: read and folded slab by slab.
  Array big = da::from_hdf5(in, "/big", {1100, 1300});
  w.put("result", "slabs_sum", big.sum().compute());
  w.put("result", "slabs_mean_ax1", big.mean(1).compute());
  w.put("result", "slabs_var_ax0", big.var(0).compute());
  w.put("result", "slabs_argmax", big.argmax().compute());
  w.put("result", "slabs_argmin_ax0", big.argmin(0).compute());
  w.put("result", "slabs_centered_std", (big - big.mean(1, true)).std().compute());
  w.put("result", "slabs_nanmax_ax1", da::nanmax(da::where(big > 2, std::nan(""), big), 1).compute());
  Array big2 = da::from_hdf5(in, "/big2", {1100, 1300});  // a second file leaf read in slabs beside the first
  w.put("result", "slabs_two_files_var_ax0", (big - big2).var(0).compute());
  w.put("result", "slabs_two_files_greater", (big > big2).sum().compute());
  Array long_ints = da::from_hdf5(in, "/long", ChunkSpec{1'500'000});
  w.put("result", "slabs_long_sum", long_ints.sum().compute());
  w.put("result", "slabs_long_argmin", long_ints.argmin().compute());
  Array cube = da::from_hdf5(in, "/cube", {60, 200, 150});
  w.put("result", "slabs_cube_max_ax1", cube.max(1).compute());
  w.put("result", "slabs_cube_mean_02", cube.mean({0, 2}).compute());
  Array wide = da::from_hdf5(in, "/wide", {3, 600'000});
  w.put("result", "wide_rows_sum_ax1", wide.sum(1).compute());
  w.put("result", "wide_rows_centered_var", (wide - wide.mean(1, true)).var().compute());
  return 0;
}
