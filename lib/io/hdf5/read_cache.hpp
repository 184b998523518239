#pragma once
// The process's open read handles, by file and dataset: a chunked Array reads
// a dataset block by block from tasks, and opening the file (superblock,
// object headers, and with MPI-IO a communicator) for each block would cost
// more than many of the reads.
#include "io/hdf5/hdf5_file.hpp"
#include "io/hdf5/hdf5_session.hpp"

#include <cstdint>
#include <map>
#include <string>

#include <sys/stat.h>

namespace tessera::io::detail {

struct CachedDataset {
  Hid dataset;
  Hdf5DatasetInfo info;
  /// Where element 0 lies in the file when the dataset's bytes are one
  /// contiguous, unfiltered run in the native layout of info.dtype, read
  /// through the sec2 driver from a file with no user block; else -1.
  std::int64_t raw_offset = -1;
};

/// Every member is called with the HDF5 mutex held (lock_hdf5()).
class ReadCache {
 public:
  static ReadCache& instance();

  /// The open dataset, opening the file and dataset on a miss; InputError
  /// naming the file and dataset when either is missing or unreadable.
  const CachedDataset& dataset(const std::string& path, const std::string& dataset);
  /// Closes the handles of the file `path` names, however it was spelt.
  void close(const std::string& path);
  void close_all();

 private:
  // What identifies the file's contents on disk: a file replaced or rewritten
  // by another process (h5py, another run) since it was opened is opened again.
  struct Stamp {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    timespec modified{};
    bool operator==(const Stamp& other) const;
  };
  struct File {
    Hid file;
    std::string canonical;
    Stamp stamp;
    std::uint64_t last_use = 0;
    std::map<std::string, CachedDataset, std::less<>> datasets;  // destroyed before `file`
  };

  File& file(const std::string& path, const std::string& dataset);
  void evict_least_recent();

  std::map<std::string, File, std::less<>> files_;  // by the path as the caller spelt it
  std::uint64_t uses_ = 0;
};

}  // namespace tessera::io::detail
