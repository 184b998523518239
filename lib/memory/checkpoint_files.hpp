#pragma once
// The files of a checkpoint directory (include/tessera/checkpoint.hpp):
//
//   MANIFEST      the outputs of every persist() that checkpointed here, by
//                 stage: the rank count, then per output its key's hash, its
//                 fingerprint and its key as text. Replaced whole (written
//                 aside, then renamed), by rank 0 only.
//   rank-R.data   the chunks rank R wrote, one after another: a contiguous
//                 type's bytes as they are in memory, any other type's encoding.
//   rank-R.index  one line per chunk of rank-R.data, appended once its bytes
//                 are synced to the disk (in batches, by a thread of the
//                 writer's, every half second), ending in a checksum of the line itself: a
//                 line torn by a kill does not check and is skipped (its
//                 chunk is computed again); a chunk whose bytes do not match
//                 the line's checksum is an error when read.
//
// Every rank may read every file (a shared filesystem), so a restart on
// another number of ranks reads chunks wherever the scheduler puts the reads.
#include <tessera/value.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tessera::memory {

/// Where one chunk is, and how to read it back.
struct CheckpointRecord {
  std::uint64_t key_hash = 0;
  std::uint64_t fingerprint = 0;
  std::int32_t writer = 0;  // the rank whose data file holds it
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::uint64_t type_id = 0;  // the value's codec (value.hpp)
  bool contiguous = false;    // its bytes are the value's memory, not its encoding
  std::uint64_t checksum = 0;  // of its bytes
};

struct CheckpointOutput {
  std::uint64_t key_hash = 0;
  std::uint64_t fingerprint = 0;
  std::string key;  // Key::str(), for messages
};

/// The outputs of one persist() that wrote here, and on how many ranks.
struct CheckpointStage {
  int ranks = 0;
  std::vector<CheckpointOutput> outputs;
};

/// The manifest's stages; none when the directory or its manifest does not
/// exist yet. InputError naming the file and line when it does not parse.
std::vector<CheckpointStage> read_manifest(const std::string& directory);
/// Makes the directory if needed, and replaces the manifest atomically.
void write_manifest(const std::string& directory, const std::vector<CheckpointStage>& stages);
/// Every rank's index lines that check, in file order (a later line for the same key wins).
std::vector<CheckpointRecord> read_index(const std::string& directory);
/// A chunk's value; InputError naming the file, the offset and `what` when
/// it is missing, short, or fails its checksum.
Value read_checkpointed(const std::string& directory, const CheckpointRecord& record, const std::string& what);

/// A rank's data and index files, opened at the first write and locked
/// against a second process writing the same rank's files. Threads write
/// concurrently: each chunk gets its own extent, its line one append.
class CheckpointWriter {
 public:
  CheckpointWriter(std::string directory, int rank) : directory_(std::move(directory)), rank_(rank) {}
  ~CheckpointWriter();
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  /// Writes `value` as the chunk of `key_hash`; Error naming `what` and the
  /// file when it cannot (no disk space, a type that cannot travel).
  void write(std::uint64_t key_hash, std::uint64_t fingerprint, const Value& value, const std::string& what);
  /// Puts everything written on the disk, lines included (at the end of a
  /// persist()); Error naming the file when the filesystem refuses (a full
  /// disk or quota often shows only here), also when it refused the
  /// background flush.
  void sync();
  /// Chunks whose lines are written.
  std::uint64_t chunks_written() const { return chunks_.load(std::memory_order_relaxed); }

 private:
  void open(const std::string& what);
  void flush_lines();
  void flush_in_background();
  void stop_flushing();

  // Lines wait until their chunks are synced: at most this long, or this many bytes of chunks.
  static constexpr auto flush_interval = std::chrono::milliseconds(500);
  static constexpr std::uint64_t flush_bytes = std::uint64_t{256} << 20;

  const std::string directory_;
  const int rank_;
  std::mutex mutex_;        // opening, and the pending lines
  std::mutex flush_mutex_;  // one sync-then-append at a time
  int data_fd_ = -1;
  int index_fd_ = -1;
  std::atomic<std::uint64_t> end_{0};  // the data file's end: where the next chunk goes
  std::atomic<std::uint64_t> chunks_{0};
  std::string pending_;  // lines of chunks written but not yet synced
  std::uint64_t pending_chunks_ = 0, pending_bytes_ = 0;
  // A thread of its own syncs and appends the lines, so that no task waits
  // for the disk; its first error fails the next write and sync().
  std::thread flusher_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::exception_ptr flush_error_;
};

}  // namespace tessera::memory
