#include "io/csv/file_bytes.hpp"

#include <tessera/error.hpp>

#include <zlib.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace tessera::csv {

namespace {

std::string system_error(const std::string& path, const char* what) {
  return std::string(path).append(": ").append(what).append(": ").append(std::strerror(errno));
}

// pread until `n` bytes or the end of the file; returns the bytes read.
std::size_t read_at(int fd, const std::string& path, char* out, std::size_t n, std::int64_t offset) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd, out + done, n - done, static_cast<off_t>(offset) + static_cast<off_t>(done));
    if (got < 0) {
      if (errno == EINTR) continue;
      throw InputError(system_error(path, "cannot read"));
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return done;
}

std::int64_t count_newlines(const char* p, std::size_t n) {
  std::int64_t count = 0;
  for (const char* end = p + n; (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))); ++p) {
    ++count;
  }
  return count;
}

}  // namespace

bool is_gzip_path(const std::string& path) { return path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0; }

std::string inflate_gzip(const std::string& path, std::int64_t limit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(system_error(path, "cannot open"));
  std::string out;
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
    ::close(fd);
    throw InputError(std::string(path).append(": cannot start zlib"));
  }
  std::string in(1 << 20, '\0');
  std::int64_t offset = 0;
  int status = Z_OK;
  bool more_input = true;
  try {
    while (limit < 0 || static_cast<std::int64_t>(out.size()) < limit) {
      if (z.avail_in == 0 && more_input) {
        const std::size_t got = read_at(fd, path, in.data(), in.size(), offset);
        offset += static_cast<std::int64_t>(got);
        more_input = got == in.size();
        z.next_in = reinterpret_cast<Bytef*>(in.data());
        z.avail_in = static_cast<uInt>(got);
      }
      if (z.avail_in == 0 && status == Z_STREAM_END) break;
      if (status == Z_STREAM_END) inflateReset(&z);  // another gzip member follows
      const std::size_t at = out.size();
      out.resize(std::max<std::size_t>(at * 2, 1 << 20));
      z.next_out = reinterpret_cast<Bytef*>(out.data() + at);
      z.avail_out = static_cast<uInt>(out.size() - at);
      status = inflate(&z, Z_NO_FLUSH);
      out.resize(out.size() - z.avail_out);
      if (status == Z_BUF_ERROR && z.avail_in == 0 && !more_input) status = Z_DATA_ERROR;  // truncated
      if (status != Z_OK && status != Z_STREAM_END) {
        throw InputError(std::string(path).append(": not a valid gzip file (").append(z.msg ? z.msg : "truncated").append(")"));
      }
    }
  } catch (...) {
    inflateEnd(&z);
    ::close(fd);
    throw;
  }
  inflateEnd(&z);
  ::close(fd);
  if (limit >= 0 && static_cast<std::int64_t>(out.size()) > limit) out.resize(static_cast<std::size_t>(limit));
  return out;
}

void FileBytes::close() {
  unmap();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  inflated_ = text::ByteBuffer();
  data_ = buffer_.get();
  size_ = first_ = length_ = counted_to_ = newlines_ = 0;
}

void FileBytes::open(std::string path, bool compressed) {
  close();
  path_ = std::move(path);
  if (compressed) {
    // libdeflate inflates the whole file at about 3 GB/s a core where
    // zlib's stream gave 124 MB/s (docs/performance.md, "Text inflate").
    inflated_ = text::decompress_file(path_, text::Compression::gzip);
    data_ = inflated_.data();
    size_ = length_ = static_cast<std::int64_t>(inflated_.size());
    return;
  }
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw InputError(system_error(path_, "cannot open"));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const std::string message = system_error(path_, "cannot stat");
    ::close(fd_);
    throw InputError(message);
  }
  size_ = st.st_size;
  // Mapped whole: the parser reads the page cache in place (pread's copy
  // was a tenth of a block's time). A file that cannot be mapped is read
  // into the buffer instead.
  if (size_ > 0) {
    void* p = ::mmap(nullptr, static_cast<std::size_t>(size_), PROT_READ, MAP_PRIVATE, fd_, 0);
    if (p != MAP_FAILED) {
      mapped_ = static_cast<const char*>(p);
      data_ = mapped_;
      length_ = size_;
    }
  }
}

void FileBytes::unmap() {
  if (mapped_) ::munmap(const_cast<char*>(mapped_), static_cast<std::size_t>(size_));
  mapped_ = nullptr;
}

FileBytes::~FileBytes() { close(); }

void FileBytes::load(std::int64_t from, std::int64_t to) {
  if (fd_ < 0) return;  // inflated: all of it is loaded
  from = std::clamp<std::int64_t>(from, 0, size_);
  to = std::clamp<std::int64_t>(to, from, size_);
  if (mapped_) {
    // All of it is mapped. Map the part asked for in one call rather than a
    // page fault per 64 KiB (faults were a seventh of a block's time on our
    // VMs); kernels before 5.14 only get the read-ahead hint.
    const std::int64_t page = 4096, first = from / page * page;
    char* start = const_cast<char*>(mapped_) + first;
    const auto length = static_cast<std::size_t>(to - first);
#ifdef MADV_POPULATE_READ
    if (::madvise(start, length, MADV_POPULATE_READ) == 0) return;
#endif
    ::madvise(start, length, MADV_WILLNEED);
    return;
  }
  if (from >= first_ && to <= loaded_end()) return;
  const auto need = static_cast<std::size_t>(to - from);
  // Keep what is loaded from `from` on; read the rest.
  std::int64_t kept = 0;
  if (from >= first_ && from < loaded_end()) kept = loaded_end() - from;
  if (need > capacity_) {
    const std::size_t capacity = std::max(need, capacity_ + capacity_ / 2);
    std::unique_ptr<char[]> bigger(new char[capacity]);  // not zero-filled: pread fills it
    if (kept > 0) std::memcpy(bigger.get(), at(from), static_cast<std::size_t>(kept));
    buffer_ = std::move(bigger);
    capacity_ = capacity;
  } else if (kept > 0) {
    std::memmove(buffer_.get(), at(from), static_cast<std::size_t>(kept));
  }
  data_ = buffer_.get();
  const std::size_t got = read_at(fd_, path_, buffer_.get() + kept, need - static_cast<std::size_t>(kept), from + kept);
  first_ = from;
  length_ = kept + static_cast<std::int64_t>(got);
}

std::int64_t FileBytes::line_of(std::int64_t offset) {
  if (offset < counted_to_) counted_to_ = newlines_ = 0;
  offset = std::min(offset, size_);
  if (fd_ < 0 || mapped_) {
    newlines_ += count_newlines(data_ + counted_to_, static_cast<std::size_t>(offset - counted_to_));
  } else {
    std::string chunk(std::min<std::int64_t>(offset - counted_to_, 1 << 20), '\0');
    while (counted_to_ < offset) {
      const auto n = static_cast<std::size_t>(std::min<std::int64_t>(offset - counted_to_, static_cast<std::int64_t>(chunk.size())));
      const std::size_t got = read_at(fd_, path_, chunk.data(), n, counted_to_);
      if (got == 0) break;
      newlines_ += count_newlines(chunk.data(), got);
      counted_to_ += static_cast<std::int64_t>(got);
    }
  }
  counted_to_ = offset;
  return newlines_ + 1;
}

}  // namespace tessera::csv
