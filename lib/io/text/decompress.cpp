// gzip through libdeflate's whole-buffer decoder (several times zlib's
// inflate per core: docs/performance.md, "Text inflate throughput"), member
// after member; zstd through its streaming decoder into a growing buffer.
#include "io/text/decompress.hpp"

#include "io/csv/file_bytes.hpp"

#include <tessera/error.hpp>

#include <libdeflate.h>
#include <zstd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include <sys/mman.h>

namespace tessera::text {

namespace {

InputError corrupt(const std::string& path, const char* format, const std::string& why) {
  return InputError(std::string(path).append(": not a valid ").append(format).append(" file (").append(why).append(")"));
}

// gzip's trailer ends with ISIZE, the last member's length mod 2^32: exact
// for the usual one-member file. Capped at deflate's best ratio (1032:1) so
// that a corrupt trailer cannot ask for gigabytes.
std::size_t first_size_guess(std::span<const char> in) {
  std::size_t guess = in.size() * 4;
  if (in.size() >= 18) {
    std::uint32_t isize = 0;
    std::memcpy(&isize, in.data() + in.size() - 4, 4);  // little-endian, as x86 and arm64 Linux are
    guess = std::max<std::size_t>(guess, isize);
  }
  return std::min(guess, in.size() * 1032 + 1024);
}

struct FreeDecompressor {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

}  // namespace

Compression compression_of(const std::string& path) {
  const auto ends_with = [&](std::string_view tail) {
    return path.size() > tail.size() && path.compare(path.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (ends_with(".gz")) return Compression::gzip;
  if (ends_with(".zst")) return Compression::zstd;
  return Compression::none;
}

void ByteBuffer::Free::operator()(char* p) const { std::free(p); }

void ByteBuffer::reserve(std::size_t capacity) {
  if (capacity <= capacity_) return;
  constexpr std::size_t huge_page = std::size_t{2} << 20;
  if (capacity < huge_page) {
    void* grown = std::realloc(bytes_.get(), capacity);
    if (grown == nullptr) throw std::bad_alloc();
    (void)bytes_.release();  // realloc freed or moved it
    bytes_.reset(static_cast<char*>(grown));
    capacity_ = capacity;
    return;
  }
  // Whole huge pages, asked for as such: an inflated file is tens of MB of
  // fresh memory, and on this VM a fresh 4 KiB page costs ~8 µs to touch
  // (lib/memory/buffer.cpp), which made a first run 2x slower than the next.
  capacity = (capacity + huge_page - 1) / huge_page * huge_page;
  void* grown = nullptr;
  if (::posix_memalign(&grown, huge_page, capacity) != 0) throw std::bad_alloc();
  ::madvise(grown, capacity, MADV_HUGEPAGE);  // best effort: an error leaves small pages
  if (size_ > 0) std::memcpy(grown, bytes_.get(), size_);
  bytes_.reset(static_cast<char*>(grown));
  capacity_ = capacity;
}

ByteBuffer inflate_gzip(std::span<const char> in, const std::string& path, ByteBuffer out) {
  // One decompressor per thread: it is 10s of KiB of tables, set up once.
  thread_local std::unique_ptr<libdeflate_decompressor, FreeDecompressor> decompressor(libdeflate_alloc_decompressor());
  if (!decompressor) throw std::bad_alloc();
  out.set_size(0);
  if (in.empty()) return out;
  out.reserve(first_size_guess(in));
  std::size_t in_pos = 0;
  while (in_pos < in.size()) {
    std::size_t in_used = 0, out_used = 0;
    const libdeflate_result result = libdeflate_gzip_decompress_ex(
        decompressor.get(), in.data() + in_pos, in.size() - in_pos, out.data() + out.size(),
        out.capacity() - out.size(), &in_used, &out_used);
    if (result == LIBDEFLATE_INSUFFICIENT_SPACE) {
      // The whole-buffer decoder restarts this member: doubling keeps the restarts few.
      out.reserve(out.capacity() * 2);
      continue;
    }
    if (result != LIBDEFLATE_SUCCESS) {
      throw corrupt(path, "gzip", std::string("bad or truncated data in the member at byte ").append(std::to_string(in_pos)));
    }
    in_pos += in_used;
    out.set_size(out.size() + out_used);
    // gzip -d and Python's gzip accept zero padding after the last member (tape blocks).
    while (in_pos < in.size() && in[in_pos] == '\0') ++in_pos;
  }
  return out;
}

ByteBuffer decompress_zstd(std::span<const char> in, const std::string& path, ByteBuffer out) {
  thread_local std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> context(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  if (!context) throw std::bad_alloc();
  ZSTD_DCtx_reset(context.get(), ZSTD_reset_session_only);  // a previous file may have stopped mid-frame
  out.set_size(0);
  if (in.empty()) return out;
  const unsigned long long declared = ZSTD_getFrameContentSize(in.data(), in.size());
  std::size_t guess = in.size() * 4;
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR) {
    guess = std::max<std::size_t>(guess, std::min<unsigned long long>(declared, in.size() * 1024ULL + 1024));
  }
  out.reserve(guess + 1);
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  std::size_t remaining = 0;  // ZSTD_decompressStream's hint: 0 when a frame is complete
  for (;;) {
    if (out.size() == out.capacity()) out.reserve(out.capacity() * 2);
    ZSTD_outBuffer output{out.data(), out.capacity(), out.size()};
    remaining = ZSTD_decompressStream(context.get(), &output, &input);
    if (ZSTD_isError(remaining)) throw corrupt(path, "zstd", ZSTD_getErrorName(remaining));
    out.set_size(output.pos);
    // Done once all input is in and the decoder had room to spare (nothing buffered).
    if (input.pos == input.size && output.pos < output.size) break;
  }
  if (remaining != 0) throw corrupt(path, "zstd", "truncated");
  return out;
}

ByteBuffer decompress_file(const std::string& path, Compression compression, ByteBuffer out) {
  csv::FileBytes file(path, false);  // mapped: the decoders read the page cache in place
  file.load(0, file.size());
  const std::span<const char> bytes(file.size() > 0 ? file.at(0) : nullptr, static_cast<std::size_t>(file.size()));
  switch (compression) {
    case Compression::gzip: return inflate_gzip(bytes, path, std::move(out));
    case Compression::zstd: return decompress_zstd(bytes, path, std::move(out));
    case Compression::none: break;
  }
  out.set_size(0);
  out.reserve(bytes.size() + 1);
  if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  out.set_size(bytes.size());
  return out;
}

}  // namespace tessera::text
