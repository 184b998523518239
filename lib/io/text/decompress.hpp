#pragma once
// The bytes of a compressed file, whole: gzip with libdeflate, zstd with libzstd.
//
//   text::ByteBuffer lines = text::decompress_file("logs/2015-01-01.json.gz", text::Compression::gzip);
//   std::string_view all(lines.data(), lines.size());
//
// A compressed file is one part of a Bag (Dask's read_text does the same):
// neither format can start decoding in the middle, so it is read whole.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>

namespace tessera::text {

enum class Compression : std::uint8_t { none, gzip, zstd };

/// By extension: ".gz" gzip, ".zst" zstd, anything else none.
Compression compression_of(const std::string& path);

/// Bytes from malloc, grown with realloc: nothing is zero-filled first (as
/// std::string::resize would), and a large buffer grows by remapping pages.
class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(ByteBuffer&& other) noexcept { *this = std::move(other); }
  ByteBuffer& operator=(ByteBuffer&& other) noexcept {
    bytes_ = std::move(other.bytes_);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    return *this;
  }
  const char* data() const { return bytes_.get(); }
  char* data() { return bytes_.get(); }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  /// At least `capacity` bytes; the first size() are kept.
  void reserve(std::size_t capacity);
  /// The first `size` (<= capacity()) bytes hold data.
  void set_size(std::size_t size) { size_ = size; }

 private:
  struct Free {
    void operator()(char* p) const;
  };
  std::unique_ptr<char, Free> bytes_;
  std::size_t size_ = 0, capacity_ = 0;
};

// `reuse`: a buffer whose memory the output may take over. Fresh pages cost
// more to touch than libdeflate takes to fill them (docs/performance.md,
// "Text inflate throughput": 3.3 GB/s into a used buffer, 0.28 into new ones).

/// All members of a gzip stream (concatenated files are one stream, as for
/// gzip -d), zero padding after the last ignored. InputError naming `path`
/// when the bytes are not gzip, are truncated or fail their CRC.
ByteBuffer inflate_gzip(std::span<const char> compressed, const std::string& path, ByteBuffer reuse = {});

/// All frames of a zstd stream. InputError naming `path` when corrupt or truncated.
ByteBuffer decompress_zstd(std::span<const char> compressed, const std::string& path, ByteBuffer reuse = {});

/// The file's bytes decompressed; `compression` none gives them as they are.
/// InputError naming the file when it cannot be read or decoded.
ByteBuffer decompress_file(const std::string& path, Compression compression, ByteBuffer reuse = {});

}  // namespace tessera::text
