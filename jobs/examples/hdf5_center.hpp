#pragma once
// The seed's Array example in C++: center the rows of an HDF5 dataset.
// `tessera demo` writes the file with parallel HDF5 and runs this on it.
//
//     import dask.array as da                        namespace da = tessera::array;
//     f = h5py.File('myfile.hdf5')
//     x = da.from_array(f['/big-data'],              auto x = da::from_hdf5("myfile.hdf5", "/big-data",
//                       chunks=(1000, 1000))                                {1000, 1000});
//     (x - x.mean(axis=1, keepdims=True)).compute()  (x - x.mean(1, true)).compute();
#include <tessera/array.hpp>

#include <cstdint>
#include <string>

namespace tessera::examples {

/// Collective: every rank writes its own chunks of a rows x cols float64
/// dataset into a new HDF5 file (replaced if it exists): standard normal
/// numbers (da::random::normal, the same on any rank count) plus a row
/// offset, 0.1 * (row % 97), so the row means are worth subtracting.
void write_demo_hdf5(const std::string& path, const std::string& dataset, std::int64_t rows, std::int64_t cols,
                     std::int64_t chunk_rows, std::uint64_t seed, const ComputeOptions& options = {});

/// x = from_hdf5(path, dataset, chunks); (x - x.mean(axis=1, keepdims=True)).compute():
/// the whole centered array, on every rank.
tessera::NDArray center_rows(const std::string& path, const std::string& dataset, const array::ChunkSpec& chunks,
                             const ComputeOptions& options = {});

/// What the demo prints of the centered array y: its mean and standard
/// deviation (NumPy's y.mean(), y.std()), the largest |row mean| (0 up to
/// rounding), and three of its values.
struct CenteredSummary {
  double mean = 0, std = 0, max_abs_row_mean = 0;
  double first = 0, second = 0, last = 0;  // y[0, 0], y[0, 1], y[-1, -1]
};
CenteredSummary summarize_centered(const tessera::NDArray& y);

}  // namespace tessera::examples
