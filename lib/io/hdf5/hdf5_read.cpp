// Reads: every call takes the process's HDF5 mutex, finds the dataset in the
// read cache (opening it on a miss) and lets H5Dread convert the stored type
// to the requested one through the memory type.
#include "io/hdf5/hdf5_block.hpp"
#include "io/hdf5/hdf5_file.hpp"
#include "io/hdf5/hdf5_types.hpp"
#include "io/hdf5/read_cache.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace tessera::io {
namespace {

// A block of a contiguous dataset stored as its native bytes, read with
// pread: one call per run of the block that is contiguous in the file (a
// whole band of rows at once, or one row segment of a narrower block).
// HDF5's hyperslab machinery spent about 10 us per row segment (a 1000 x
// 1000 block of a 20000-wide dataset read 8x slower than the row band
// holding it), and takes the library-wide mutex, so a rank's threads read
// one at a time.
void read_raw(const std::string& path, const std::string& dataset, std::int64_t at, std::span<const std::int64_t> shape,
              std::span<const std::int64_t> offset, std::span<const std::int64_t> count, std::size_t item,
              std::byte* out) {
  const std::size_t nd = shape.size();
  std::vector<std::int64_t> stride(nd);  // bytes per step along each axis, in the file
  stride[nd - 1] = static_cast<std::int64_t>(item);
  for (std::size_t a = nd - 1; a-- > 0;) stride[a] = stride[a + 1] * shape[a + 1];
  // The run: axis k's count of elements and every axis after it whole.
  std::size_t k = nd - 1;
  while (k > 0 && count[k] == shape[k]) --k;
  const std::int64_t run = count[k] * stride[k];
  const auto failed = [&](const std::string& why) {
    throw_error(ErrorKind::input, "reading " + detail::format_block(offset, count) + " of dataset '" + dataset +
                                      "' in HDF5 file '" + path + "' failed: " + why);
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) failed(std::strerror(errno));
  std::vector<std::int64_t> index(k, 0);  // over the axes before k
  while (true) {
    std::int64_t from = at + offset[k] * stride[k];
    for (std::size_t a = 0; a < k; ++a) from += (offset[a] + index[a]) * stride[a];
    for (std::int64_t done = 0; done < run;) {
      const ssize_t n = ::pread(fd, out + done, static_cast<std::size_t>(run - done), from + done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const std::string why = n < 0 ? std::strerror(errno) : "the file ends before the dataset does";
        ::close(fd);
        failed(why);
      }
      done += n;
    }
    out += run;
    std::size_t a = k;
    while (a-- > 0) {
      if (++index[a] < count[a]) break;
      index[a] = 0;
    }
    if (a == static_cast<std::size_t>(-1)) break;
  }
  ::close(fd);
}

}  // namespace

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
  if (d.raw_offset >= 0 && dtype == d.info.dtype) {
    const std::int64_t at = d.raw_offset;
    const std::vector<std::int64_t> shape = d.info.shape;
    lock.unlock();  // plain reads: other threads read (and HDF5 runs) meanwhile
    read_raw(path, dataset, at, shape, offset, count, itemsize(dtype), static_cast<std::byte*>(out));
    return;
  }

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
