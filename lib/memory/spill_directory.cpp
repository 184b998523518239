#include "memory/spill_directory.hpp"

#include <tessera/error.hpp>
#include <tessera/size.hpp>

#include <lz4.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

namespace tessera::memory {
namespace {

constexpr std::size_t block_bytes = std::size_t{1} << 20;
constexpr std::uint32_t raw_flag = 0x80000000u;

[[noreturn]] void fail(const std::string& message, int rank, const std::string& what) {
  ErrorInfo info;
  info.kind = ErrorKind::memory;
  info.message = message;
  info.key = what;
  info.rank = rank;
  info.hint = "point --spill-dir (TESSERA_SPILL_DIR) at a writable local disk with room, or raise --memory-limit";
  throw_error(std::move(info));
}

// Scratch for one block's compressed form, one per thread.
std::span<char> scratch() {
  thread_local std::unique_ptr<char[]> buffer;
  static const std::size_t size = static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(block_bytes)));
  if (!buffer) buffer = std::make_unique<char[]>(size);
  return {buffer.get(), size};
}

bool write_all(int fd, iovec* iov, int count, std::uint64_t offset) {
  while (count > 0) {
    const ssize_t n = ::pwritev(fd, iov, count, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    offset += static_cast<std::uint64_t>(n);
    auto left = static_cast<std::size_t>(n);
    while (count > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --count;
    }
    if (count > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return true;
}

bool read_all(int fd, void* into, std::size_t bytes, std::uint64_t& offset) {
  auto* p = static_cast<char*>(into);
  while (bytes > 0) {
    const ssize_t n = ::pread(fd, p, bytes, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;  // shorter than written: someone truncated it
      return false;
    }
    p += n;
    offset += static_cast<std::uint64_t>(n);
    bytes -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

void BusyClock::begin() {
  std::lock_guard lock(mutex_);
  if (active_++ == 0) since_ = std::chrono::steady_clock::now();
}

void BusyClock::end() {
  std::lock_guard lock(mutex_);
  if (--active_ == 0) busy_ += std::chrono::steady_clock::now() - since_;
}

double BusyClock::seconds() const {
  std::lock_guard lock(mutex_);
  auto busy = busy_;
  if (active_ > 0) busy += std::chrono::steady_clock::now() - since_;
  return std::chrono::duration<double>(busy).count();
}

void SpillDirectory::configure(std::string base, int rank) {
  if (base != base_ || rank != rank_) remove_all();
  std::lock_guard lock(mutex_);
  base_ = std::move(base);
  rank_ = rank;
}

SpillDirectory::~SpillDirectory() { remove_all(); }

std::string SpillDirectory::path() const {
  std::lock_guard lock(mutex_);
  return dir_;
}

void SpillDirectory::remove_all() noexcept {
  std::lock_guard lock(mutex_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  end_ = extents_ = 0;
  if (dir_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
  dir_.clear();
}

int SpillDirectory::ensure_file(const std::string& what) {
  // Called with mutex_ held.
  if (fd_ >= 0) return fd_;
  std::error_code error;
  std::filesystem::create_directories(base_, error);
  if (error) fail("cannot create the spill directory " + base_ + ": " + error.message(), rank_, what);
  char host[64] = {};
  ::gethostname(host, sizeof host - 1);
  std::string dir = base_ + "/tessera-spill-" + host + "-" + std::to_string(::getpid()) + "-r" + std::to_string(rank_);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    fail("cannot create a spill directory in " + base_ + ": " + std::strerror(errno), rank_, what);
  }
  const std::string file = dir + "/spill";
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int e = errno;
    std::filesystem::remove_all(dir, error);
    fail("cannot create a spill file in " + base_ + ": " + std::strerror(e), rank_, what);
  }
  dir_ = std::move(dir);
  fd_ = fd;
  return fd_;
}

namespace {
// Counts the time while at least one write (or read) is under way: the
// rank's spill throughput is its bytes over that time, however many of its
// threads share it.
class Timed {
 public:
  explicit Timed(BusyClock& clock) : clock_(clock) { clock_.begin(); }
  ~Timed() { clock_.end(); }

 private:
  BusyClock& clock_;
};
}  // namespace

SpillFile SpillDirectory::write(std::span<const std::byte> bytes, const std::string& what) {
  Timed timed(write_clock_);
  SpillFile file;
  file.raw_bytes = bytes.size();
  const std::size_t blocks = (bytes.size() + block_bytes - 1) / block_bytes;
  const std::uint64_t table_bytes = blocks * sizeof(std::uint32_t);
  int fd = -1;
  std::string dir;
  {
    std::lock_guard lock(mutex_);
    fd = ensure_file(what);
    dir = dir_;
    file.offset = end_;
    end_ += table_bytes + bytes.size();  // the most it can take: every block raw
    ++extents_;
  }
  std::vector<std::uint32_t> table(blocks);
  auto out = scratch();
  std::uint64_t at_disk = file.offset + table_bytes;
  bool ok = true;
  for (std::size_t b = 0; ok && b < blocks; ++b) {
    const std::size_t at = b * block_bytes, n = std::min(block_bytes, bytes.size() - at);
    const char* src = reinterpret_cast<const char*>(bytes.data() + at);
    const int packed = LZ4_compress_default(src, out.data(), static_cast<int>(n), static_cast<int>(out.size()));
    iovec iov;
    if (packed > 0 && static_cast<std::size_t>(packed) < n - n / 16) {  // worth it: at least 1/16 smaller
      table[b] = static_cast<std::uint32_t>(packed);
      iov = {out.data(), static_cast<std::size_t>(packed)};
    } else {
      table[b] = static_cast<std::uint32_t>(n) | raw_flag;
      iov = {const_cast<char*>(src), n};
    }
    const std::uint64_t length = iov.iov_len;
    ok = write_all(fd, &iov, 1, at_disk);
    at_disk += length;
  }
  if (ok && blocks) {
    iovec iov{table.data(), table_bytes};
    ok = write_all(fd, &iov, 1, file.offset);
  }
  file.disk_bytes = at_disk - file.offset;
  if (!ok) {
    const int error = errno;
    remove(file);
    fail("cannot spill " + format_size(bytes.size()) + " to " + dir + ": " + std::strerror(error), rank_, what);
  }
  return file;
}

void SpillDirectory::read(const SpillFile& file, std::span<std::byte> into, const std::string& what) {
  Timed timed(read_clock_);
  int fd = -1;
  std::string dir;
  {
    std::lock_guard lock(mutex_);
    fd = fd_;
    dir = dir_;
  }
  const std::size_t blocks = (into.size() + block_bytes - 1) / block_bytes;
  std::vector<std::uint32_t> table(blocks);
  std::uint64_t offset = file.offset;
  bool ok = fd >= 0 && into.size() == file.raw_bytes;
  if (!ok) errno = EBADF;
  if (ok) ok = read_all(fd, table.data(), blocks * sizeof(std::uint32_t), offset);
  auto packed = scratch();
  for (std::size_t b = 0; ok && b < blocks;) {
    char* dst = reinterpret_cast<char*>(into.data() + b * block_bytes);
    if (table[b] & raw_flag) {  // this block and the raw ones after it: one read
      std::size_t bytes = 0;
      while (b < blocks && (table[b] & raw_flag)) bytes += table[b++] & ~raw_flag;
      const auto start = static_cast<std::size_t>(dst - reinterpret_cast<char*>(into.data()));
      ok = bytes <= into.size() - start && read_all(fd, dst, bytes, offset);
    } else {
      const std::size_t stored = table[b];
      const std::size_t room = std::min(block_bytes, into.size() - b * block_bytes);
      ok = stored <= packed.size() && read_all(fd, packed.data(), stored, offset);
      const int n = ok ? LZ4_decompress_safe(packed.data(), dst, static_cast<int>(stored), static_cast<int>(room)) : -1;
      if (n != static_cast<int>(room)) {
        if (ok) errno = EIO;
        ok = false;
      }
      ++b;
    }
  }
  if (!ok) fail("cannot read back a spilled result from " + dir + "/spill: " + std::strerror(errno), rank_, what);
}

void SpillDirectory::remove(const SpillFile& file) noexcept {
  std::lock_guard lock(mutex_);
  if (fd_ < 0 || extents_ == 0) return;
  if (--extents_ == 0) {  // nothing spilled: start the file over
    if (::ftruncate(fd_, 0) == 0) end_ = 0;
    return;
  }
  // Give the disk space back now; where holes cannot be punched, it comes back when the file empties.
  if (file.disk_bytes) {
    (void)::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(file.offset),
                      static_cast<off_t>(file.disk_bytes));
  }
}

}  // namespace tessera::memory
