#pragma once
/// Arrays read from and written to HDF5 files with parallel HDF5, each chunk
/// by the rank that uses or holds it (Dask's da.from_array(h5py dataset) and
/// da.to_hdf5).
///
///     namespace da = tessera::array;
///     auto x = da::from_hdf5("myfile.hdf5", "/big-data", {1000, 1000});
///     auto y = x - x.mean(1, true);
///     da::to_hdf5("out.hdf5", "/centered", y);   // collective: every rank calls it
///
/// from_hdf5 makes one read task per chunk; the scheduler places it, reads its
/// hyperslab there, and runs the chunk's consumers on the same rank. Without
/// chunks, the dataset's own HDF5 chunking is grown toward the chunk byte
/// target (TESSERA_ARRAY_CHUNK_SIZE, 128 MiB), or whole rows of a contiguous
/// dataset. A dtype other than the stored one is converted by HDF5 if NumPy's
/// same_kind casting allows it. A missing file or dataset, a cast that is not
/// allowed, or a mismatching shape is an InputError naming file, dataset and both sides.
#include <tessera/array.hpp>

#include <optional>
#include <span>
#include <string>
#include <utility>

namespace tessera::array {

Array from_hdf5(const std::string& path, const std::string& dataset, ChunkSpec chunks = {},
                std::optional<DType> dtype = std::nullopt);

/// Computes `arrays` and writes each into a new dataset of a new file at
/// `path` (replaced if it exists), every chunk from the rank that computed it.
/// Collective: every rank calls it with the same arguments.
void to_hdf5(const std::string& path, std::span<const std::pair<std::string, Array>> arrays,
             const ComputeOptions& options = {});
inline void to_hdf5(const std::string& path, const std::string& dataset, const Array& x,
                    const ComputeOptions& options = {}) {
  const std::pair<std::string, Array> one{dataset, x};
  to_hdf5(path, std::span<const std::pair<std::string, Array>>(&one, 1), options);
}

}  // namespace tessera::array
