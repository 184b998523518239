#pragma once
// A rank's spill file, in a directory of the process's own, made at the
// first spill and removed when the process ends.
//
// One file holds every spilled result of the process, each in an extent of
// its own: a write reserves room for the worst case at the end of the file
// (the part it does not use stays a hole), and freeing an extent punches a
// hole, so the disk holds only what is spilled now. When nothing is spilled
// the file is emptied. One file rather than one per result: creating and
// deleting files costs tens of microseconds each, more than a small result.
//
// An extent is a sequence of blocks of up to 1 MiB, each a 4-byte header (its
// stored length; the top bit says "stored raw") and its bytes, LZ4-compressed
// unless that would not make it smaller. Blocks keep the scratch memory of a
// write or read at a few MiB whatever the result's size, and let
// incompressible data (random numbers) go to and from disk without a copy.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>

namespace tessera::memory {

struct SpillFile {
  std::uint64_t offset = 0;      // where its extent starts in the spill file
  std::uint64_t raw_bytes = 0;   // what was written
  std::uint64_t disk_bytes = 0;  // what it takes on disk
};

class SpillDirectory {
 public:
  /// `base`: where to make the directory; `label`: names it and the messages (e.g. "rank 3").
  void configure(std::string base, int rank);
  ~SpillDirectory();

  /// Writes `bytes` to a new extent; MemoryError naming the directory when it cannot.
  /// `what` names the result in messages.
  SpillFile write(std::span<const std::byte> bytes, const std::string& what);
  /// Reads an extent back into `into` (exactly file.raw_bytes long).
  void read(const SpillFile& file, std::span<std::byte> into, const std::string& what);
  void remove(const SpillFile& file) noexcept;

  /// Time spent writing and reading, over all threads.
  double write_seconds() const { return static_cast<double>(write_ns_.load()) * 1e-9; }
  double read_seconds() const { return static_cast<double>(read_ns_.load()) * 1e-9; }

  /// The directory made for this process, or empty before the first spill.
  std::string path() const;
  /// Removes the directory and everything in it (at exit; also after an error).
  void remove_all() noexcept;

 private:
  int ensure_file(const std::string& what);

  mutable std::mutex mutex_;
  std::string base_;
  std::string dir_;  // made on first use
  int fd_ = -1;      // dir_/spill, made with it
  int rank_ = 0;
  std::uint64_t end_ = 0;    // where the next extent goes
  std::uint64_t extents_ = 0;  // written and not yet removed
  std::atomic<std::uint64_t> write_ns_{0}, read_ns_{0};
};

}  // namespace tessera::memory
