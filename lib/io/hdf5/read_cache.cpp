// Read handles are cached per process and per path: the Array reads a dataset
// chunk by chunk from tasks on every worker thread, and each read would
// otherwise open the file (superblock, object headers; with MPI-IO also a
// communicator duplicate and MPI_File_open) to read perhaps a megabyte.
//
// State: files_, one entry per path, each with its open datasets. An entry
// is dropped when (a) its file changed on disk (another process rewrote it:
// device, inode, size or mtime differ), (b) Hdf5Writer opens the same file for
// writing in this process (the old handle would see stale metadata, and HDF5
// refuses to truncate a file that is open), (c) more than max_open_files are
// open (least recently used first), or (d) MPI is being finalised, when
// MPI-IO handles must close before MPI goes away.
//
// Driver (docs/hdf5_measurements.md): files are opened with the driver
// TESSERA_HDF5_DRIVER names, else the faster one measured there.
#include "io/hdf5/read_cache.hpp"

#include "io/hdf5/hdf5_lookup.hpp"
#include "io/hdf5/hdf5_types.hpp"

#include <mpi.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

namespace tessera::io::detail {
namespace {

constexpr std::size_t max_open_files = 64;
constexpr std::string_view default_driver = "sec2";  // measured: docs/hdf5_measurements.md

std::string canonical_path(const std::string& path) {
  std::error_code ignored;
  const auto canonical = std::filesystem::weakly_canonical(path, ignored);
  return canonical.empty() ? path : canonical.string();
}

// MPI_Finalize deletes MPI_COMM_SELF's attributes, last set first. HDF5 sets
// one when it starts under MPI, whose callback ends the library (closing every
// open identifier); ours is set later (lock_hdf5() ran H5open() first), so the
// cache empties first, while MPI-IO and HDF5 both still work, and holds no
// identifier that a later call (or exit) would close a second time.
int close_at_finalize(MPI_Comm, int, void*, void*) {
  auto lock = lock_hdf5();
  ReadCache::instance().close_all();
  return MPI_SUCCESS;
}

void close_cache_at_mpi_finalize() {
  static bool registered = false;  // guarded by the HDF5 mutex
  if (registered) return;
  int keyval = MPI_KEYVAL_INVALID;
  if (MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, close_at_finalize, &keyval, nullptr) == MPI_SUCCESS &&
      MPI_Comm_set_attr(MPI_COMM_SELF, keyval, nullptr) == MPI_SUCCESS) {
    registered = true;
  }
}

bool use_mpio();

// See CachedDataset::raw_offset.
std::int64_t raw_offset(hid_t file, hid_t dataset, hid_t stored_type, hid_t dcpl, const Hdf5DatasetInfo& info) {
  if (use_mpio() || info.shape.empty() || H5Pget_layout(dcpl) != H5D_CONTIGUOUS || H5Pget_nfilters(dcpl) != 0 ||
      H5Pget_external_count(dcpl) != 0) {
    return -1;
  }
  Hid native = memory_type(info.dtype);
  if (!native.valid() || H5Tequal(stored_type, native.get()) <= 0) return -1;
  Hid fcpl(H5Fget_create_plist(file));
  hsize_t user_block = 1;
  if (!fcpl.valid() || H5Pget_userblock(fcpl.get(), &user_block) < 0 || user_block != 0) return -1;
  const haddr_t at = H5Dget_offset(dataset);
  if (at == HADDR_UNDEF) return -1;  // no storage allocated yet: HDF5 gives the fill value
  std::uint64_t bytes = itemsize(info.dtype);
  for (std::int64_t n : info.shape) bytes *= static_cast<std::uint64_t>(n);
  if (H5Dget_storage_size(dataset) < bytes) return -1;
  return static_cast<std::int64_t>(at);
}

bool use_mpio() {
  // MPI-IO from a worker thread while the scheduler's thread uses MPI needs MPI_THREAD_MULTIPLE.
  return hdf5_read_driver() == "mpio";
}

Hid read_access(const std::string& path, const std::string& dataset) {
  // For sec2 files too: HDF5 closes them at MPI_Finalize. Only under
  // MPI_THREAD_MULTIPLE, as this may run on a worker thread; below it HDF5's
  // own callback still closes the files, and the cache just keeps dead ids.
  if (mpi_thread_multiple()) close_cache_at_mpi_finalize();
  Hid fapl(H5Pcreate(H5P_FILE_ACCESS));
  if (use_mpio()) {
    // Each rank reads on its own: MPI_COMM_SELF, so opening is collective over one process.
    if (H5Pset_fapl_mpio(fapl.get(), MPI_COMM_SELF, MPI_INFO_NULL) < 0) {
      fail_with_detail(ErrorKind::generic, "cannot set up MPI-IO to read dataset '" + dataset + "' of HDF5 file '" + path + "'");
    }
  } else {
    // Shared locks keep a writer out while we read; on file systems without
    // flock (some NFS and Lustre mounts) HDF5 would fail instead of going on.
    H5Pset_file_locking(fapl.get(), true, true);
  }
  return fapl;
}

}  // namespace

bool ReadCache::Stamp::operator==(const Stamp& other) const {
  return device == other.device && inode == other.inode && size == other.size &&
         modified.tv_sec == other.modified.tv_sec && modified.tv_nsec == other.modified.tv_nsec;
}

ReadCache& ReadCache::instance() {
  // Never destroyed: at exit HDF5 may already have ended (at MPI_Finalize, or
  // in its own atexit handler), and closing its identifiers again would
  // restart the library only to fail. HDF5 closes whatever is left open.
  static ReadCache& cache = *new ReadCache;
  return cache;
}

ReadCache::File& ReadCache::file(const std::string& path, const std::string& dataset) {
  const std::string looking = " (looking for dataset '" + dataset + "')";
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    const int error = errno;
    files_.erase(path);
    if (error == ENOENT) throw_error(ErrorKind::input, "HDF5 file '" + path + "' does not exist" + looking);
    throw_error(ErrorKind::input, "cannot open HDF5 file '" + path + "'" + looking + ": " + std::strerror(error));
  }
  const Stamp stamp{status.st_dev, status.st_ino, status.st_size, status.st_mtim};
  if (auto it = files_.find(path); it != files_.end()) {
    if (it->second.stamp == stamp) {
      it->second.last_use = ++uses_;
      return it->second;
    }
    files_.erase(it);
  }
  if (files_.size() >= max_open_files) evict_least_recent();

  Hid fapl = read_access(path, dataset);
  Hid handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()));
  if (!handle.valid()) {
    const std::string detail = hdf5_error_detail();
    if (H5Fis_hdf5(path.c_str()) == 0) throw_error(ErrorKind::input, "'" + path + "' is not an HDF5 file" + looking);
    throw_error(ErrorKind::input, "cannot open HDF5 file '" + path + "'" + looking + (detail.empty() ? "" : ": " + detail));
  }
  File& entry = files_[path];
  entry.file = std::move(handle);
  entry.canonical = canonical_path(path);
  entry.stamp = stamp;
  entry.last_use = ++uses_;
  return entry;
}

const CachedDataset& ReadCache::dataset(const std::string& path, const std::string& dataset) {
  File& f = file(path, dataset);
  if (auto it = f.datasets.find(dataset); it != f.datasets.end()) return it->second;

  Hid d = open_dataset(f.file.get(), path, dataset);
  const std::string where = "dataset '" + dataset + "' in HDF5 file '" + path + "'";
  Hid type(H5Dget_type(d.get()));
  Hid space(H5Dget_space(d.get()));
  Hid dcpl(H5Dget_create_plist(d.get()));
  if (!type.valid() || !space.valid() || !dcpl.valid()) fail_with_detail(ErrorKind::input, "cannot read the metadata of " + where);
  const auto dtype = dtype_of_stored(type.get());
  if (!dtype) {
    throw_error(ErrorKind::input, where + " has type " + describe_stored_type(type.get()) + ", not a number or bool");
  }
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0 || H5Sget_simple_extent_type(space.get()) == H5S_NULL) {
    throw_error(ErrorKind::input, where + " has no dataspace (an empty H5S_NULL dataset), so no shape to read");
  }
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  Hdf5DatasetInfo info{*dtype, std::vector<std::int64_t>(dims.begin(), dims.end()), {}};
  if (rank > 0 && H5Pget_layout(dcpl.get()) == H5D_CHUNKED) {
    std::vector<hsize_t> chunk(static_cast<std::size_t>(rank));
    H5Pget_chunk(dcpl.get(), rank, chunk.data());
    info.chunk_shape.assign(chunk.begin(), chunk.end());
  }
  const std::int64_t raw = raw_offset(f.file.get(), d.get(), type.get(), dcpl.get(), info);
  auto [it, inserted] = f.datasets.emplace(dataset, CachedDataset{std::move(d), std::move(info), raw});
  return it->second;
}

void ReadCache::close(const std::string& path) {
  const std::string canonical = canonical_path(path);
  std::erase_if(files_, [&](const auto& entry) { return entry.first == path || entry.second.canonical == canonical; });
}

void ReadCache::close_all() { files_.clear(); }

void ReadCache::evict_least_recent() {
  auto oldest = files_.begin();
  for (auto it = files_.begin(); it != files_.end(); ++it) {
    if (it->second.last_use < oldest->second.last_use) oldest = it;
  }
  if (oldest != files_.end()) files_.erase(oldest);
}

}  // namespace tessera::io::detail

namespace tessera::io {

std::string hdf5_read_driver() {
  const char* env = std::getenv("TESSERA_HDF5_DRIVER");
  std::string_view chosen = env != nullptr && *env != '\0' ? std::string_view(env) : detail::default_driver;
  if (chosen != "mpio" && chosen != "sec2") {
    throw_error(ErrorKind::input, "TESSERA_HDF5_DRIVER=" + std::string(chosen) + " is not an HDF5 driver Tessera reads with",
                "mpio or sec2");
  }
  if (chosen == "mpio" && !detail::mpi_thread_multiple()) return "sec2";
  return std::string(chosen);
}

}  // namespace tessera::io
