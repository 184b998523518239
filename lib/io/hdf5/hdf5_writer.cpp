// Hdf5Writer: one file written by every rank, block by block, from tasks.
//
// Why independent writes at any time are safe. Parallel HDF5 requires every
// change to the file's metadata (object headers, chunk indexes, the free-space
// and end-of-file bookkeeping) to be made collectively, by all ranks with the
// same arguments, so that each rank's metadata cache stays identical. Blocks,
// however, are written by whichever rank computed them, whenever its task
// runs. So all metadata is settled in the collective constructor:
//  - H5D_ALLOC_TIME_EARLY allocates every dataset's raw data (every chunk, and
//    its entry in the chunk index) at creation, so no write allocates space;
//  - H5D_FILL_TIME_NEVER keeps that allocation from writing fill values (for
//    a 1.5 GB dataset, 1.5 GB of zeros, collectively, before any real write);
//  - object modification times are not tracked, so no write touches a header;
//  - no filters (compression): a filtered chunk changes size when written,
//    which is a metadata change, and parallel HDF5 only allows it collectively;
//  - H5Fflush at the end of the constructor puts the metadata on disk, so a
//    rank whose metadata cache later drops a (clean) chunk index node reads
//    it back from the file rather than from a half-written cache.
// A write is then H5Dwrite with H5FD_MPIO_INDEPENDENT: a lookup of where the
// block's bytes live, and an MPI_File_write_at of raw data only. In parallel
// HDF5 the chunk cache is bypassed for writes, so two ranks writing disjoint
// parts of one chunk each write only their own bytes (no read-modify-write).
// close() is collective again: each rank closes its datasets and the file.
//
// With no Runtime (runtime_comm() == MPI_COMM_NULL) the process writes alone
// through the sec2 driver and never calls MPI, so it works without MPI_Init.
#include "io/hdf5/hdf5_block.hpp"
#include "io/hdf5/hdf5_file.hpp"
#include "io/hdf5/hdf5_lookup.hpp"
#include "io/hdf5/hdf5_types.hpp"
#include "io/hdf5/read_cache.hpp"

#include "comm/native_handle.hpp"

#include <mpi.h>

#include <algorithm>
#include <set>
#include <sys/stat.h>

namespace tessera::io {

struct Hdf5Writer::Impl {
  std::string path;
  std::vector<Hdf5DatasetSpec> specs;
  detail::Hid file;
  std::vector<detail::Hid> datasets;  // closed before `file` in close()
  detail::Hid transfer;               // H5FD_MPIO_INDEPENDENT under MPI-IO
  bool open = false;
};

namespace {

std::string in_file(const std::string& path) { return " in HDF5 file '" + path + "'"; }

// Checked before any file is touched, identically on every rank, so that a
// bad spec throws on all of them rather than leaving some in a collective.
void check_specs(const std::string& path, std::span<const Hdf5DatasetSpec> specs) {
  std::set<std::string> names;
  for (const Hdf5DatasetSpec& spec : specs) {
    const std::string what = "dataset '" + spec.name + "'" + in_file(path);
    if (spec.name.empty() || spec.name.find_first_not_of('/') == std::string::npos) {
      throw_error(ErrorKind::input, "a dataset" + in_file(path) + " has an empty name");
    }
    if (!names.insert(spec.name).second) throw_error(ErrorKind::input, what + " is listed twice");
    if (std::any_of(spec.shape.begin(), spec.shape.end(), [](std::int64_t n) { return n < 0; })) {
      throw_error(ErrorKind::input, what + " has a negative length in its shape " + detail::format_shape(spec.shape));
    }
    if (spec.chunk_shape.empty()) continue;
    bool fits = spec.chunk_shape.size() == spec.shape.size();
    for (std::size_t axis = 0; fits && axis < spec.shape.size(); ++axis) {
      fits = spec.chunk_shape[axis] > 0 && (spec.shape[axis] == 0 || spec.chunk_shape[axis] <= spec.shape[axis]);
    }
    if (!fits || spec.shape.empty()) {
      throw_error(ErrorKind::input, what + " has chunks " + detail::format_shape(spec.chunk_shape) +
                                        " that do not fit its shape " + detail::format_shape(spec.shape),
                  "one positive length per axis, at most the axis' length");
    }
  }
}

detail::Hid create_dataset(hid_t file, const std::string& path, const Hdf5DatasetSpec& spec) {
  const std::vector<hsize_t> dims(spec.shape.begin(), spec.shape.end());
  detail::Hid space(spec.shape.empty() ? H5Screate(H5S_SCALAR)
                                       : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  detail::Hid type = detail::stored_type(spec.dtype);
  detail::Hid links(H5Pcreate(H5P_LINK_CREATE));
  detail::Hid creation(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_create_intermediate_group(links.get(), 1);
  H5Pset_alloc_time(creation.get(), H5D_ALLOC_TIME_EARLY);
  H5Pset_fill_time(creation.get(), H5D_FILL_TIME_NEVER);
  H5Pset_obj_track_times(creation.get(), false);
  // HDF5 cannot chunk an axis of length 0 (a chunk may not exceed a fixed
  // axis); such a dataset holds no data, so contiguous is the same.
  const bool empty = std::find(spec.shape.begin(), spec.shape.end(), 0) != spec.shape.end();
  if (!spec.chunk_shape.empty() && !empty) {
    const std::vector<hsize_t> chunk(spec.chunk_shape.begin(), spec.chunk_shape.end());
    H5Pset_chunk(creation.get(), static_cast<int>(chunk.size()), chunk.data());
  } else {
    H5Pset_layout(creation.get(), H5D_CONTIGUOUS);
  }
  detail::Hid dataset(H5Dcreate2(file, spec.name.c_str(), type.get(), space.get(), links.get(), creation.get(), H5P_DEFAULT));
  if (!dataset.valid()) {
    detail::fail_with_detail(ErrorKind::generic, "cannot create dataset '" + spec.name + "'" + in_file(path));
  }
  return dataset;
}

// Whether `path` exists, as rank 0 sees it: a rank that looked after rank 0
// had created the file would otherwise open instead of create.
bool exists_on_rank_0(const std::string& path, MPI_Comm comm) {
  struct stat status {};
  int exists = ::stat(path.c_str(), &status) == 0 ? 1 : 0;
  if (comm != MPI_COMM_NULL) MPI_Bcast(&exists, 1, MPI_INT, 0, comm);
  return exists != 0;
}

}  // namespace

Hdf5Writer::Hdf5Writer(const std::string& path, std::span<const Hdf5DatasetSpec> datasets, Mode mode)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->specs.assign(datasets.begin(), datasets.end());
  check_specs(path, datasets);
  const MPI_Comm comm = comm::runtime_comm();

  auto lock = detail::lock_hdf5();
  // Our own read handles of this file would see stale metadata, and HDF5 will
  // not truncate a file it holds open.
  detail::ReadCache::instance().close(path);
  detail::Hid access(H5Pcreate(H5P_FILE_ACCESS));
  detail::Hid transfer(H5Pcreate(H5P_DATASET_XFER));
  if (comm != MPI_COMM_NULL) {
    if (!detail::mpi_thread_multiple()) {
      throw_error(ErrorKind::generic, "writing HDF5 file '" + path + "' from tasks needs MPI_THREAD_MULTIPLE",
                  "let tessera::Runtime initialise MPI, or call MPI_Init_thread with MPI_THREAD_MULTIPLE");
    }
    H5Pset_fapl_mpio(access.get(), comm, MPI_INFO_NULL);
    H5Pset_dxpl_mpio(transfer.get(), H5FD_MPIO_INDEPENDENT);
  } else {
    H5Pset_file_locking(access.get(), true, true);
  }

  detail::Hid file;
  std::vector<detail::Hid> created;  // declared after `file`: an error closes them first, under the lock
  if (mode == Mode::truncate || !exists_on_rank_0(path, comm)) {
    file = detail::Hid(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()));
    if (!file.valid()) detail::fail_with_detail(ErrorKind::input, "cannot create HDF5 file '" + path + "'");
  } else {
    file = detail::Hid(H5Fopen(path.c_str(), H5F_ACC_RDWR, access.get()));
    if (!file.valid()) {
      if (H5Fis_hdf5(path.c_str()) == 0) {
        throw_error(ErrorKind::input, "cannot append to '" + path + "': it is not an HDF5 file");
      }
      detail::fail_with_detail(ErrorKind::input, "cannot open HDF5 file '" + path + "' to append to it");
    }
    // Every rank sees the same file, so every rank throws here alike, and
    // `file` closes collectively on the way out.
    for (const Hdf5DatasetSpec& spec : impl_->specs) detail::check_creatable(file.get(), path, spec.name);
  }
  for (const Hdf5DatasetSpec& spec : impl_->specs) created.push_back(create_dataset(file.get(), path, spec));
  if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0) {
    detail::fail_with_detail(ErrorKind::generic, "cannot flush the new datasets of HDF5 file '" + path + "'");
  }
  impl_->datasets = std::move(created);
  impl_->file = std::move(file);
  impl_->transfer = std::move(transfer);
  impl_->open = true;
}

Hdf5Writer::~Hdf5Writer() {
  try {
    close();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw; close() reports errors
  }
}

void Hdf5Writer::write(std::size_t index, std::span<const std::int64_t> offset, std::span<const std::int64_t> count,
                       DType dtype, const void* data) {
  auto lock = detail::lock_hdf5();
  const std::string& path = impl_->path;
  if (!impl_->open) throw_error(ErrorKind::generic, "writing to HDF5 file '" + path + "' after it was closed");
  if (index >= impl_->specs.size()) {
    throw_error(ErrorKind::generic, "writing dataset #" + std::to_string(index) + in_file(path) + ", which has only " +
                                        std::to_string(impl_->specs.size()) + " new datasets");
  }
  const Hdf5DatasetSpec& spec = impl_->specs[index];
  detail::check_block("writing", path, spec.name, spec.shape, offset, count);
  if (!can_cast(dtype, spec.dtype, Casting::same_kind)) {
    throw_error(ErrorKind::input, "writing " + std::string(dtype_name(dtype)) + " data to dataset '" + spec.name + "'" +
                                      in_file(path) + ", which holds " + std::string(dtype_name(spec.dtype)) +
                                      ": not a cast under NumPy's same_kind rule",
                "convert the block explicitly (astype) if the loss is intended");
  }
  if (std::any_of(count.begin(), count.end(), [](std::int64_t n) { return n == 0; })) return;

  const hid_t dataset = impl_->datasets[index].get();
  detail::Hid file_space = detail::select_in_file(dataset, offset, count);
  detail::Hid memory_space = detail::memory_space(count);
  detail::Hid memory_type = detail::memory_type(dtype);
  if (!file_space.valid() || !memory_space.valid() || !memory_type.valid() ||
      H5Dwrite(dataset, memory_type.get(), memory_space.get(), file_space.get(), impl_->transfer.get(), data) < 0) {
    detail::fail_with_detail(ErrorKind::generic, "writing " + detail::format_block(offset, count) + " of dataset '" +
                                                     spec.name + "'" + in_file(path) + " failed");
  }
}

void Hdf5Writer::close() {
  auto lock = detail::lock_hdf5();
  if (!impl_->open) return;
  impl_->open = false;
  bool closed = true;
  for (detail::Hid& dataset : impl_->datasets) closed = dataset.reset() && closed;
  impl_->transfer.reset();
  // Collective under MPI-IO: the last metadata flush and MPI_File_close.
  closed = impl_->file.reset() && closed;
  detail::ReadCache::instance().close(impl_->path);
  if (!closed) detail::fail_with_detail(ErrorKind::generic, "closing HDF5 file '" + impl_->path + "' failed");
}

const std::string& Hdf5Writer::path() const { return impl_->path; }

}  // namespace tessera::io
