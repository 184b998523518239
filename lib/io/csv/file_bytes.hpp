#pragma once
// The bytes of one CSV file: a plain file mapped (or, when it cannot be, a
// window read with pread into a buffer kept between loads), or a .gz file
// inflated whole (libdeflate, through io/text).
#include "io/text/decompress.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

namespace tessera::csv {

/// Whether a file's first bytes are a UTF-8 byte order mark (Excel writes
/// one), which readers skip as pandas does.
inline bool starts_with_utf8_bom(const char* bytes, std::int64_t size) {
  return size >= 3 && bytes[0] == '\xEF' && bytes[1] == '\xBB' && bytes[2] == '\xBF';
}

class FileBytes {
 public:
  FileBytes() = default;
  /// InputError naming the file when it cannot be opened or inflated.
  FileBytes(std::string path, bool compressed) { open(std::move(path), compressed); }
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;
  ~FileBytes();

  /// Switches to another file, keeping the window's buffer (one per thread, reused between blocks).
  void open(std::string path, bool compressed);
  /// Closes the file (and its mapping), keeping the buffer.
  void close();
  const std::string& path() const { return path_; }
  std::int64_t size() const { return size_; }
  /// Makes bytes [from, to) readable (clamped to size()); bytes already
  /// loaded from `from` on are moved, not read again. Pointers from at()
  /// are invalid afterwards.
  void load(std::int64_t from, std::int64_t to);
  std::int64_t loaded_begin() const { return first_; }
  std::int64_t loaded_end() const { return first_ + length_; }
  const char* at(std::int64_t offset) const { return data_ + (offset - first_); }
  /// The 1-based physical line holding byte `offset`: '\n's are counted from
  /// the file's start only when an error asks (counts carry over between calls).
  std::int64_t line_of(std::int64_t offset);

 private:
  void unmap();

  std::string path_;
  int fd_ = -1;
  std::int64_t size_ = 0;
  std::unique_ptr<char[]> buffer_;  // a plain file's window
  std::size_t capacity_ = 0;
  text::ByteBuffer inflated_;       // a .gz file, whole
  const char* mapped_ = nullptr;    // a plain file, mapped whole
  const char* data_ = nullptr;
  std::int64_t first_ = 0, length_ = 0;
  std::int64_t counted_to_ = 0, newlines_ = 0;  // '\n's in [0, counted_to_)
};

/// The first `limit` bytes (or all, when limit < 0) of a gzip file, its
/// members one after another, streamed with zlib (a schema's sample needs
/// the start only). InputError naming the file when it is not gzip.
std::string inflate_gzip(const std::string& path, std::int64_t limit = -1);

/// Whether `path` names a gzip file (by its extension).
bool is_gzip_path(const std::string& path);

}  // namespace tessera::csv
