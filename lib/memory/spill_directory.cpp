#include "memory/spill_directory.hpp"
#include "memory/file_io.hpp"

#include "graph/crash_report.hpp"

#include <tessera/error.hpp>
#include <tessera/size.hpp>

#include <lz4.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <dirent.h>
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

// What a SIGTERM or SIGINT handler removes before the process dies. The
// handler may not allocate, lock or use std::filesystem, so each directory's
// paths are copied into fixed buffers when the directory is made.
struct SignalCleanup {
  enum : int { free, claimed, armed };
  std::atomic<int> state{free};
  char dir[PATH_MAX];
  char file[PATH_MAX];
};
// One per SpillDirectory in use: the budget's, and the few a test makes.
SignalCleanup signal_cleanups[8];
struct sigaction previous_sigterm, previous_sigint;

void remove_on_signal(int signal, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  for (auto& cleanup : signal_cleanups) {
    if (cleanup.state.load(std::memory_order_acquire) != SignalCleanup::armed) continue;
    ::unlink(cleanup.file);
    ::rmdir(cleanup.dir);
  }
  errno = saved_errno;
  // A handler the program had installed decides what happens next.
  const struct sigaction& previous = signal == SIGTERM ? previous_sigterm : previous_sigint;
  if (graph::is_handler_function(previous)) {
    graph::call_handler(previous, signal, info, context);
    return;
  }
  // Otherwise die of the signal as if we had not been here (exit status 128+signal).
  graph::restore_default_action(signal);
  graph::raise_unblocked(signal);
}

// Slurm's time limit and scancel send SIGTERM, Ctrl-C sends SIGINT: both may
// be caught, unlike the SIGKILL that follows, so the directory goes with them.
// A signal the program ignores stays ignored.
void install_signal_cleanup() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = remove_on_signal;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaddset(&action.sa_mask, SIGTERM);  // one cleanup at a time
    sigaddset(&action.sa_mask, SIGINT);
    for (auto [signal, previous] : {std::pair{SIGTERM, &previous_sigterm}, std::pair{SIGINT, &previous_sigint}}) {
      if (::sigaction(signal, nullptr, previous) != 0) continue;
      if (graph::is_ignored(*previous)) continue;
      ::sigaction(signal, &action, nullptr);
    }
  });
}

// Claims a cleanup slot for `dir` (before it exists, so that a signal
// between mkdir and the slot's arming cannot leave it); -1 when every slot
// is taken or the paths are too long: then only exit removes it.
int arm_signal_cleanup(const std::string& dir, const std::string& file) {
  if (file.size() >= PATH_MAX) return -1;
  for (int slot = 0; slot < static_cast<int>(std::size(signal_cleanups)); ++slot) {
    auto& cleanup = signal_cleanups[slot];
    int expected = SignalCleanup::free;
    if (!cleanup.state.compare_exchange_strong(expected, SignalCleanup::claimed)) continue;
    std::memcpy(cleanup.dir, dir.c_str(), dir.size() + 1);
    std::memcpy(cleanup.file, file.c_str(), file.size() + 1);
    cleanup.state.store(SignalCleanup::armed, std::memory_order_release);
    return slot;
  }
  return -1;
}

void disarm_signal_cleanup(int slot) {
  if (slot >= 0) signal_cleanups[slot].state.store(SignalCleanup::free, std::memory_order_release);
}

// `rest` is "<pid>-r<rank>" exactly; the pid, else 0.
pid_t pid_of_entry(std::string_view rest) {
  long pid = 0;
  auto [after_pid, error] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
  if (error != std::errc() || pid <= 0 || after_pid == rest.data()) return 0;
  rest.remove_prefix(static_cast<std::size_t>(after_pid - rest.data()));
  if (rest.size() < 3 || rest.substr(0, 2) != "-r") return 0;
  rest.remove_prefix(2);
  int rank = 0;
  auto [after_rank, rank_error] = std::from_chars(rest.data(), rest.data() + rest.size(), rank);
  if (rank_error != std::errc() || after_rank != rest.data() + rest.size()) return 0;
  return static_cast<pid_t>(pid);
}

// Removes what processes of this host that no longer exist (SIGKILL, a node
// crash and reboot) left in `base`. Other hosts' directories (a shared
// file system) and those of live processes are not touched; a pid reused
// since only keeps its dead owner's directory a little longer.
void remove_stale_directories(const std::string& base, const std::string& host) {
  DIR* listing = ::opendir(base.c_str());
  if (!listing) return;
  const std::string prefix = "tessera-spill-" + host + "-";
  std::vector<std::string> stale;
  while (const dirent* entry = ::readdir(listing)) {
    const std::string_view name = entry->d_name;
    if (!name.starts_with(prefix)) continue;
    const pid_t pid = pid_of_entry(name.substr(prefix.size()));
    if (pid == 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) != 0 && errno == ESRCH) stale.emplace_back(name);
  }
  ::closedir(listing);
  for (const auto& name : stale) {
    std::error_code ignored;  // another rank may be removing it at the same moment
    std::filesystem::remove_all(base + "/" + name, ignored);
  }
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
  disarm_signal_cleanup(cleanup_slot_);
  cleanup_slot_ = -1;
}

int SpillDirectory::ensure_file(const std::string& what) {
  // Called with mutex_ held.
  if (fd_ >= 0) return fd_;
  std::error_code error;
  std::filesystem::create_directories(base_, error);
  if (error) fail("cannot create the spill directory " + base_ + ": " + error.message(), rank_, what);
  char host[64] = {};
  ::gethostname(host, sizeof host - 1);
  remove_stale_directories(base_, host);
  std::string dir = base_ + "/tessera-spill-" + host + "-" + std::to_string(::getpid()) + "-r" + std::to_string(rank_);
  const std::string file = dir + "/spill";
  install_signal_cleanup();
  cleanup_slot_ = arm_signal_cleanup(dir, file);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    const int e = errno;
    disarm_signal_cleanup(std::exchange(cleanup_slot_, -1));
    fail("cannot create a spill directory in " + base_ + ": " + std::strerror(e), rank_, what);
  }
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int e = errno;
    std::filesystem::remove_all(dir, error);
    disarm_signal_cleanup(std::exchange(cleanup_slot_, -1));
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
