// Lines are gathered in `pending_` and leave in 4 MiB pieces: written as they
// are, as one gzip member each (libdeflate level 6, gzip's default), or fed
// to one zstd stream (level 3, zstd's default) ended at close().
#include "io/text/text_writer.hpp"

#include <tessera/error.hpp>

#include <libdeflate.h>
#include <zstd.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <new>
#include <system_error>

namespace tessera::text {

namespace {

constexpr std::size_t piece_bytes = 4 << 20;

}  // namespace

TextWriter::TextWriter(std::string path) : path_(std::move(path)), compression_(compression_of(path_)) {
  const std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty()) {
    std::error_code error;
    std::filesystem::create_directories(parent, error);
    if (error) {
      throw InputError(std::string(path_).append(": cannot create its directory: ").append(error.message()));
    }
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd_ < 0) throw InputError(std::string(path_).append(": cannot create: ").append(std::strerror(errno)));
  if (compression_ == Compression::gzip) {
    gzip_ = libdeflate_alloc_compressor(6);
    if (gzip_ == nullptr) throw std::bad_alloc();
  } else if (compression_ == Compression::zstd) {
    zstd_ = ZSTD_createCCtx();
    if (zstd_ == nullptr) throw std::bad_alloc();
    ZSTD_CCtx_setParameter(zstd_, ZSTD_c_compressionLevel, 3);
    ZSTD_CCtx_setParameter(zstd_, ZSTD_c_checksumFlag, 1);  // a corrupt file fails to read instead of giving wrong lines
  }
  pending_.reserve(piece_bytes + 4096);
}

TextWriter::~TextWriter() {
  try {
    close();
  } catch (...) {  // a destructor must not throw: close() explicitly to see the error
  }
  if (gzip_) libdeflate_free_compressor(gzip_);
  if (zstd_) ZSTD_freeCCtx(zstd_);
}

void TextWriter::write_line(std::string_view line) {
  pending_.append(line).push_back('\n');
  if (pending_.size() >= piece_bytes) write_pending(false);
}

void TextWriter::close() {
  if (fd_ < 0) return;
  try {
    write_pending(true);
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }
  const int status = ::close(fd_);  // NFS reports a failed write here
  fd_ = -1;
  if (status != 0) throw InputError(std::string(path_).append(": cannot write: ").append(std::strerror(errno)));
}

void TextWriter::write_pending(bool last) {
  switch (compression_) {
    case Compression::none:
      write_out(pending_.data(), pending_.size());
      break;
    case Compression::gzip: {
      if (pending_.empty()) break;  // no member for no lines: an empty file reads as no lines
      encoded_.reserve(libdeflate_gzip_compress_bound(gzip_, pending_.size()));
      const std::size_t size = libdeflate_gzip_compress(gzip_, pending_.data(), pending_.size(), encoded_.data(), encoded_.capacity());
      if (size == 0) throw InputError(std::string(path_).append(": gzip compression failed"));
      write_out(encoded_.data(), size);
      break;
    }
    case Compression::zstd: {
      encoded_.reserve(ZSTD_CStreamOutSize());
      ZSTD_inBuffer input{pending_.data(), pending_.size(), 0};
      const ZSTD_EndDirective mode = last ? ZSTD_e_end : ZSTD_e_continue;
      for (bool done = false; !done;) {
        ZSTD_outBuffer output{encoded_.data(), encoded_.capacity(), 0};
        const std::size_t left = ZSTD_compressStream2(zstd_, &output, &input, mode);
        if (ZSTD_isError(left)) {
          throw InputError(std::string(path_).append(": zstd compression failed: ").append(ZSTD_getErrorName(left)));
        }
        write_out(encoded_.data(), output.pos);
        done = last ? left == 0 : input.pos == input.size;
      }
      break;
    }
  }
  pending_.clear();
}

void TextWriter::write_out(const char* bytes, std::size_t size) {
  while (size > 0) {
    const ssize_t wrote = ::write(fd_, bytes, size);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      throw InputError(std::string(path_).append(": cannot write: ").append(std::strerror(errno)));
    }
    bytes += wrote;
    size -= static_cast<std::size_t>(wrote);
  }
}

void write_text(const std::string& path, const std::vector<std::string>& lines) {
  TextWriter out(path);
  for (const std::string& line : lines) out.write_line(line);
  out.close();
}

}  // namespace tessera::text
