#pragma once
// A rank's spill file, in a directory of the process's own, made at the
// first spill and removed when the process ends: at exit, or on SIGTERM or
// SIGINT (then the signal still ends the process, or goes on to a handler
// the program had). Making it also removes directories that dead processes
// of the same host left under the same base.
//
// One file holds every spilled result of the process, each in an extent of
// its own: a write reserves room for the worst case at the end of the file
// (the part it does not use stays a hole), and freeing an extent punches a
// hole, so the disk holds only what is spilled now. When nothing is spilled
// the file is emptied. One file rather than one per result: creating and
// deleting files costs tens of microseconds each, more than a small result.
//
// An extent is a table of 4-byte block headers (a block's stored length; the
// top bit says "stored raw"), then the blocks: up to 1 MiB of the result
// each, LZ4-compressed unless that would not make it clearly smaller. Blocks
// keep the scratch memory of a write or read at a few MiB whatever the
// result's size; with the table in front, runs of raw blocks (random
// numbers do not compress) are contiguous and come back in one read,
// straight into the result's memory.
#include <chrono>
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

/// Time during which at least one operation was under way.
class BusyClock {
 public:
  void begin();
  void end();
  double seconds() const;

 private:
  mutable std::mutex mutex_;
  int active_ = 0;
  std::chrono::steady_clock::time_point since_;
  std::chrono::steady_clock::duration busy_{};
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

  /// Time during which this rank was writing (reading) spill files.
  double write_seconds() const { return write_clock_.seconds(); }
  double read_seconds() const { return read_clock_.seconds(); }

  /// The directory made for this process, or empty before the first spill.
  std::string path() const;
  /// Where it is made (configure's `base`).
  std::string base() const {
    std::lock_guard lock(mutex_);
    return base_;
  }
  /// Removes the directory and everything in it (at exit; also after an error).
  void remove_all() noexcept;

 private:
  int ensure_file(const std::string& what);

  mutable std::mutex mutex_;
  std::string base_;
  std::string dir_;  // made on first use
  int fd_ = -1;      // dir_/spill, made with it
  int cleanup_slot_ = -1;  // where a SIGTERM/SIGINT handler finds dir_ to remove it
  int rank_ = 0;
  std::uint64_t end_ = 0;    // where the next extent goes
  std::uint64_t extents_ = 0;  // written and not yet removed
  BusyClock write_clock_, read_clock_;
};

}  // namespace tessera::memory
