// Reads: every call takes the process's HDF5 mutex, finds the dataset in the
// read cache (opening it on a miss) and lets H5Dread convert the stored type
// to the requested one through the memory type.
#include "io/hdf5/hdf5_block.hpp"
#include "io/hdf5/hdf5_file.hpp"
#include "io/hdf5/hdf5_types.hpp"
#include "io/hdf5/read_cache.hpp"

#include <algorithm>

namespace tessera::io {

Hdf5DatasetInfo hdf5_dataset_info(const std::string& path, const std::string& dataset) {
  auto lock = detail::lock_hdf5();
  return detail::ReadCache::instance().dataset(path, dataset).info;
}

void hdf5_read(const std::string& path, const std::string& dataset, std::span<const std::int64_t> offset,
               std::span<const std::int64_t> count, DType dtype, void* out) {
  auto lock = detail::lock_hdf5();
  const detail::CachedDataset& d = detail::ReadCache::instance().dataset(path, dataset);
  detail::check_block("reading", path, dataset, d.info.shape, offset, count);
  hdf5_check_cast(path, dataset, d.info.dtype, dtype);
  if (std::any_of(count.begin(), count.end(), [](std::int64_t n) { return n == 0; })) return;

  detail::Hid file_space = detail::select_in_file(d.dataset.get(), offset, count);
  detail::Hid memory_space = detail::memory_space(count);
  detail::Hid memory_type = detail::memory_type(dtype);
  if (!file_space.valid() || !memory_space.valid() || !memory_type.valid() ||
      H5Dread(d.dataset.get(), memory_type.get(), memory_space.get(), file_space.get(), H5P_DEFAULT, out) < 0) {
    detail::fail_with_detail(ErrorKind::generic, "reading " + detail::format_block(offset, count) + " of dataset '" +
                                                     dataset + "' in HDF5 file '" + path + "' as " +
                                                     std::string(dtype_name(dtype)) + " failed");
  }
}

void hdf5_close_cached(const std::string& path) {
  auto lock = detail::lock_hdf5();
  detail::ReadCache::instance().close(path);
}

void hdf5_close_all_cached() {
  auto lock = detail::lock_hdf5();
  detail::ReadCache::instance().close_all();
}

}  // namespace tessera::io
