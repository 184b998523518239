#pragma once
// Parallel HDF5 for the collections: metadata, hyperslab reads and a
// collective writer, callable from tasks on any worker thread of any rank.
//
//     auto info = io::hdf5_dataset_info("data.h5", "/g/x");   // dtype, shape, chunks
//     std::vector<double> block(100 * info.shape[1]);
//     std::int64_t offset[] = {200, 0}, count[] = {100, info.shape[1]};
//     io::hdf5_read("data.h5", "/g/x", offset, count, DType::float64, block.data());
//
//     io::Hdf5DatasetSpec spec{"/out/y", DType::float32, {1000, 50}, {100, 50}};
//     io::Hdf5Writer out("out.h5", {&spec, 1});      // collective, every rank
//     out.write(0, offset, count, DType::float64, block.data());  // any rank, any thread
//     out.close();                                    // collective
//
// No HDF5 or MPI type appears here: the collections include this header.
#include <tessera/dtype.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace tessera::io {

struct Hdf5DatasetInfo {
  DType dtype;                            // the stored type's dtype (h5py's bool enum: bool_)
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> chunk_shape;  // the HDF5 chunk dims; empty when contiguous
};

/// Metadata of `dataset` in the HDF5 file at `path`. InputError naming the
/// path (and dataset) when the file is missing or not HDF5, the dataset is
/// missing (naming what the group where the lookup failed holds) or its type
/// is not a number or bool.
Hdf5DatasetInfo hdf5_dataset_info(const std::string& path, const std::string& dataset);

/// InputError naming file, dataset and both dtypes unless `stored` casts to
/// `requested` under NumPy's "same_kind" rule (float64 -> int32 does not).
void hdf5_check_cast(const std::string& path, const std::string& dataset, DType stored, DType requested);

/// Reads the hyperslab [offset, offset + count) of the dataset in C order,
/// converted by HDF5 to `dtype`, into `out` (prod(count) * itemsize(dtype)
/// bytes). Any thread of any rank, at any time: all HDF5 calls of the process
/// are serialised by one mutex, and the open file and dataset are cached per
/// process, so reading thousands of chunks opens the file once.
/// InputError for a block outside the dataset or a cast that is not same_kind.
void hdf5_read(const std::string& path, const std::string& dataset, std::span<const std::int64_t> offset,
               std::span<const std::int64_t> count, DType dtype, void* out);

/// Closes the cached read handles of `path` (of every file): the next read
/// opens the file again. Hdf5Writer does this for the path it writes.
void hdf5_close_cached(const std::string& path);
void hdf5_close_all_cached();

/// The driver reads open files with: "sec2" or "mpio" (TESSERA_HDF5_DRIVER,
/// else the default docs/hdf5_measurements.md chose; "mpio" needs MPI
/// initialised with MPI_THREAD_MULTIPLE, else it is "sec2"). For benchmarks.
std::string hdf5_read_driver();

struct Hdf5DatasetSpec {
  std::string name;                       // "/a/b/x": intermediate groups are created
  DType dtype;
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> chunk_shape;  // empty: contiguous
};

/// Writes a new HDF5 file (or new datasets into one) from every rank.
///
/// Construction and close() are collective over the Runtime's communicator
/// (every rank, at the same point of the program); with no Runtime active it
/// is one process writing through the sec2 driver, without MPI. Between them,
/// write() is called by whichever rank holds a block, from any thread, at any
/// time: the datasets' space is allocated when they are created, so a write
/// changes raw data only, never metadata, and needs no other rank.
class Hdf5Writer {
 public:
  /// truncate: a new file replaces any old one. append: the file is opened
  /// read-write (created if missing) and none of `datasets` may exist yet.
  enum class Mode { truncate, append };

  Hdf5Writer(const std::string& path, std::span<const Hdf5DatasetSpec> datasets, Mode mode = Mode::truncate);
  Hdf5Writer(const Hdf5Writer&) = delete;
  Hdf5Writer& operator=(const Hdf5Writer&) = delete;
  /// Closes (collectively) if close() was not called; never throws.
  ~Hdf5Writer();

  /// Not collective, thread-safe: writes [offset, offset + count) of dataset
  /// `index` from `data`, given in `dtype` and converted by HDF5 to the
  /// dataset's dtype. InputError for a block outside the dataset (naming both)
  /// or a cast from `dtype` that is not same_kind.
  void write(std::size_t index, std::span<const std::int64_t> offset, std::span<const std::int64_t> count,
             DType dtype, const void* data);

  /// Collective: flushes and closes the file on every rank. Later calls do nothing.
  void close();

  const std::string& path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::io
