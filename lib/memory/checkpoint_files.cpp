#include "memory/checkpoint_files.hpp"

#include "graph/value_bytes.hpp"
#include "memory/file_io.hpp"

#include <tessera/error.hpp>
#include <tessera/log.hpp>
#include <tessera/token.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tessera::memory {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view manifest_header = "tessera checkpoint manifest 1";

std::string system_reason() { return std::strerror(errno); }

[[noreturn]] void input_error(std::string message, std::string hint = {}) {
  throw_error(ErrorKind::input, std::move(message), std::move(hint));
}

std::string data_path(const std::string& directory, int rank) {
  return (fs::path(directory) / ("rank-" + std::to_string(rank) + ".data")).string();
}
std::string index_path(const std::string& directory, int rank) {
  return (fs::path(directory) / ("rank-" + std::to_string(rank) + ".index")).string();
}

std::string hex(std::uint64_t v) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(v));
  return text;
}

// One field of a line, advancing `at`; false when it is missing or not a number.
bool next_number(std::string_view line, std::size_t& at, std::uint64_t& out, int base) {
  while (at < line.size() && line[at] == ' ') ++at;
  const char* begin = line.data() + at;
  const char* end = line.data() + line.size();
  const auto [ptr, ec] = std::from_chars(begin, end, out, base);
  if (ec != std::errc() || ptr == begin) return false;
  at = static_cast<std::size_t>(ptr - line.data());
  return true;
}

std::string escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string unescaped(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      out += text[i + 1] == 'n' ? '\n' : text[i + 1];
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::uint64_t line_check(std::string_view body) { return hash_bytes(std::as_bytes(std::span(body.data(), body.size()))); }

std::string index_line(const CheckpointRecord& r) {
  std::string body = hex(r.key_hash);
  body.append(" ").append(hex(r.fingerprint));
  body.append(" ").append(std::to_string(r.offset));
  body.append(" ").append(std::to_string(r.length));
  body.append(" ").append(hex(r.type_id));
  body.append(r.contiguous ? " r " : " e ").append(hex(r.checksum));
  const std::uint64_t check = line_check(body);
  return body.append(" ").append(hex(check)).append("\n");
}

bool parse_index_line(std::string_view line, int writer, CheckpointRecord& r) {
  const auto last_space = line.rfind(' ');
  if (last_space == std::string_view::npos) return false;
  std::uint64_t check = 0;
  std::size_t at = last_space;
  if (!next_number(line, at, check, 16) || at != line.size() || check != line_check(line.substr(0, last_space))) {
    return false;
  }
  at = 0;
  r.writer = writer;
  if (!next_number(line, at, r.key_hash, 16) || !next_number(line, at, r.fingerprint, 16) ||
      !next_number(line, at, r.offset, 10) || !next_number(line, at, r.length, 10) ||
      !next_number(line, at, r.type_id, 16)) {
    return false;
  }
  if (at + 3 > line.size() || (line[at + 1] != 'r' && line[at + 1] != 'e')) return false;
  r.contiguous = line[at + 1] == 'r';
  at += 2;
  return next_number(line, at, r.checksum, 16);
}

}  // namespace

std::vector<CheckpointStage> read_manifest(const std::string& directory) {
  const std::string path = (fs::path(directory) / "MANIFEST").string();
  std::ifstream in(path);
  if (!in) return {};
  std::vector<CheckpointStage> stages;
  std::string line;
  std::size_t remaining = 0;  // outputs still to come in the current stage
  auto bad = [&](int number, const char* why) -> void {
    input_error(path + ":" + std::to_string(number) + ": " + why,
                "this file is written by tessera; delete the checkpoint directory to start again");
  };
  for (int number = 1; std::getline(in, line); ++number) {
    if (number == 1) {
      if (line != manifest_header) bad(number, "not a tessera checkpoint manifest (or one of another version)");
      continue;
    }
    std::size_t at = 0;
    if (remaining == 0) {
      std::uint64_t ranks = 0, count = 0;
      if (line.rfind("stage ", 0) != 0) bad(number, "expected 'stage RANKS OUTPUTS'");
      at = 6;
      if (!next_number(line, at, ranks, 10) || !next_number(line, at, count, 10) || ranks == 0) {
        bad(number, "expected 'stage RANKS OUTPUTS'");
      }
      stages.push_back({static_cast<int>(ranks), {}});
      stages.back().outputs.reserve(count);
      remaining = count;
      continue;
    }
    CheckpointOutput output;
    if (!next_number(line, at, output.key_hash, 16) || !next_number(line, at, output.fingerprint, 16) ||
        at >= line.size()) {
      bad(number, "expected 'KEYHASH FINGERPRINT KEY'");
    }
    output.key = unescaped(std::string_view(line).substr(at + 1));
    stages.back().outputs.push_back(std::move(output));
    --remaining;
  }
  if (remaining != 0) input_error(path + " ends inside a stage: it was cut short", "delete the checkpoint directory to start again");
  return stages;
}

void write_manifest(const std::string& directory, const std::vector<CheckpointStage>& stages) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) input_error("cannot make the checkpoint directory " + directory + ": " + ec.message());
  const std::string path = (fs::path(directory) / "MANIFEST").string();
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  // Every rank of a sync run writes one, on hosts that share the directory.
  const std::string aside = path + ".new." + host + "." + std::to_string(::getpid());
  {
    std::ofstream out(aside, std::ios::trunc);
    out << manifest_header << "\n";
    for (const auto& stage : stages) {
      out << "stage " << stage.ranks << " " << stage.outputs.size() << "\n";
      for (const auto& o : stage.outputs) out << hex(o.key_hash) << " " << hex(o.fingerprint) << " " << escaped(o.key) << "\n";
    }
    out.flush();
    if (!out) input_error("cannot write " + aside + ": " + system_reason(), "check the space and permissions there");
  }
  if (std::rename(aside.c_str(), path.c_str()) != 0) input_error("cannot replace " + path + ": " + system_reason());
}

std::vector<CheckpointRecord> read_index(const std::string& directory) {
  std::vector<std::pair<int, fs::path>> files;
  std::error_code ec;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    int rank = -1;
    if (name.rfind("rank-", 0) != 0 || name.size() < 12 || name.substr(name.size() - 6) != ".index") continue;
    const auto [ptr, err] = std::from_chars(name.data() + 5, name.data() + name.size() - 6, rank);
    if (err != std::errc() || ptr != name.data() + name.size() - 6 || rank < 0) continue;
    files.emplace_back(rank, it->path());
  }
  std::sort(files.begin(), files.end());
  std::vector<CheckpointRecord> records;
  for (const auto& [rank, path] : files) {
    std::ifstream in(path);
    std::string line;
    CheckpointRecord record;
    while (std::getline(in, line)) {
      if (parse_index_line(line, rank, record)) records.push_back(record);
    }
  }
  return records;
}

Value read_checkpointed(const std::string& directory, const CheckpointRecord& record, const std::string& what) {
  const std::string path = data_path(directory, record.writer);
  const std::string where = path + " at offset " + std::to_string(record.offset);
  const detail::ValueCodec* codec = detail::find_codec(record.type_id);
  if (!codec || !codec->travels) {
    input_error("the checkpointed chunk of " + what + " in " + where + " is of a type this program does not know",
                "a checkpoint is read by the program that wrote it; delete the directory to start again");
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    input_error("cannot open the checkpoint file " + path + " (chunk " + what + "): " + system_reason(),
                "every rank must see the checkpoint directory: put it on a shared filesystem");
  }
  struct Close {
    int fd;
    ~Close() { ::close(fd); }
  } close_fd{fd};
  return detail::value_from_bytes(*codec, record.contiguous, record.length, [&](std::span<std::byte> bytes) {
    std::uint64_t offset = record.offset;
    if (!read_all(fd, bytes.data(), bytes.size(), offset)) {
      input_error("the checkpointed chunk of " + what + " in " + where + " is cut short",
                  "delete the checkpoint directory to start again");
    }
    if (hash_bytes(bytes) != record.checksum) {
      input_error("the checkpointed chunk of " + what + " in " + where + " does not match its checksum: the file was damaged",
                  "delete the checkpoint directory (or that rank's files) to compute it again");
    }
  });
}

CheckpointWriter::~CheckpointWriter() {
  stop_flushing();
  try {
    flush_lines();  // what is written is kept, also when the persist() failed
  } catch (...) {  // NOLINT(bugprone-empty-catch): an error has been reported, or will be by sync()
  }
  if (data_fd_ >= 0) ::close(data_fd_);
  if (index_fd_ >= 0) ::close(index_fd_);  // and the lock with it
}

void CheckpointWriter::open(const std::string& what) {
  auto fail = [&](const std::string& message, std::string hint = {}) {
    throw_error(ErrorKind::input, "cannot checkpoint " + what + ": " + message, std::move(hint));
  };
  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) fail("cannot make the directory " + directory_ + ": " + ec.message());
  const std::string index = index_path(directory_, rank_), data = data_path(directory_, rank_);
  struct Fd {  // closed unless kept
    int fd = -1;
    ~Fd() {
      if (fd >= 0) ::close(fd);
    }
  } index_fd, data_fd;
  index_fd.fd = ::open(index.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (index_fd.fd < 0) fail("cannot open " + index + ": " + system_reason(), "check the permissions of the checkpoint directory");
  if (::flock(index_fd.fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      fail(index + " is being written by another process",
           "one job at a time may write to a checkpoint directory: give each its own");
    }
    // A filesystem without locks (Lustre mounted noflock, some NFS): go on, unguarded.
    log(LogLevel::warn, "cannot lock " + index + " (" + system_reason() +
                            "): make sure no other job writes to this checkpoint directory");
  }
  // A line torn by a kill would swallow the next one: end it first.
  struct stat st{};
  if (::fstat(index_fd.fd, &st) != 0) fail("cannot stat " + index + ": " + system_reason());
  if (st.st_size > 0) {
    char last = '\n';
    if (::pread(index_fd.fd, &last, 1, st.st_size - 1) != 1) fail("cannot read " + index + ": " + system_reason());
    if (last != '\n' && ::write(index_fd.fd, "\n", 1) != 1) fail("cannot write " + index + ": " + system_reason());
  }
  data_fd.fd = ::open(data.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (data_fd.fd < 0) fail("cannot open " + data + ": " + system_reason());
  if (::fstat(data_fd.fd, &st) != 0) fail("cannot stat " + data + ": " + system_reason());
  // Bytes past the last synced chunk (a kill mid-write) stay where they are; no line points at them.
  end_.store(static_cast<std::uint64_t>(st.st_size), std::memory_order_relaxed);
  index_fd_ = std::exchange(index_fd.fd, -1);
  data_fd_ = std::exchange(data_fd.fd, -1);
  flusher_ = std::thread([this] { flush_in_background(); });
}

void CheckpointWriter::flush_in_background() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, flush_interval, [this] { return stopping_ || pending_bytes_ >= flush_bytes; });
    if (stopping_ || pending_.empty()) continue;
    lock.unlock();
    try {
      flush_lines();
    } catch (...) {
      lock.lock();
      if (!flush_error_) flush_error_ = std::current_exception();
      return;
    }
    lock.lock();
  }
}

void CheckpointWriter::stop_flushing() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (flusher_.joinable()) flusher_.join();
}

void CheckpointWriter::write(std::uint64_t key_hash, std::uint64_t fingerprint, const Value& value,
                             const std::string& what) {
  const auto* holder = value.holder();
  if (!holder || !holder->codec().travels) {
    throw_error(ErrorKind::type,
                "cannot checkpoint " + what + ": its type " + value.type_name() + " cannot be written out",
                "specialise tessera::Transport<T> for it, or persist() it without a checkpoint directory");
  }
  {
    std::lock_guard lock(mutex_);
    if (index_fd_ < 0) open(what);
  }
  const auto& codec = holder->codec();
  std::vector<std::byte> encoded;
  const std::span<const std::byte> bytes = detail::value_bytes(*holder, encoded);
  CheckpointRecord record;
  record.key_hash = key_hash;
  record.fingerprint = fingerprint;
  record.writer = rank_;
  record.length = bytes.size();
  record.offset = end_.fetch_add(bytes.size(), std::memory_order_relaxed);
  record.type_id = codec.type_id;
  record.contiguous = codec.contiguous;
  record.checksum = hash_bytes(bytes);
  iovec chunk{const_cast<std::byte*>(bytes.data()), bytes.size()};  // pwritev only reads it
  if (!write_all(data_fd_, &chunk, 1, record.offset)) {
    throw_error(ErrorKind::input, "cannot checkpoint " + what + ": writing " + data_path(directory_, rank_) + " failed: " +
                                      system_reason(),
                "make room on that filesystem, or choose another checkpoint directory");
  }
  bool due = false;
  {
    std::lock_guard lock(mutex_);
    if (flush_error_) std::rethrow_exception(flush_error_);
    pending_ += index_line(record);
    ++pending_chunks_;
    pending_bytes_ += bytes.size();
    due = pending_bytes_ >= flush_bytes;
  }
  if (due) wake_.notify_one();
}

// Lines are written once their chunks' bytes are on the disk: a chunk a lost
// node never wrote has no line, and a restart computes it again.
void CheckpointWriter::flush_lines() {
  std::lock_guard flushing(flush_mutex_);
  std::string lines;
  std::uint64_t chunks = 0;
  {
    std::lock_guard lock(mutex_);
    lines.swap(pending_);
    chunks = std::exchange(pending_chunks_, 0);
    pending_bytes_ = 0;
  }
  if (lines.empty()) return;
  if (::fdatasync(data_fd_) != 0) {
    throw_error(ErrorKind::input, "cannot checkpoint: syncing " + data_path(directory_, rank_) + " failed: " + system_reason(),
                "make room on that filesystem (or raise the quota), or choose another checkpoint directory");
  }
  if (::write(index_fd_, lines.data(), lines.size()) != static_cast<ssize_t>(lines.size())) {
    throw_error(ErrorKind::input,
                "cannot checkpoint: writing " + index_path(directory_, rank_) + " failed: " + system_reason());
  }
  chunks_.fetch_add(chunks, std::memory_order_relaxed);
}

void CheckpointWriter::sync() {
  stop_flushing();
  {
    std::lock_guard lock(mutex_);
    if (flush_error_) std::rethrow_exception(flush_error_);
  }
  flush_lines();
  std::lock_guard flushing(flush_mutex_);
  if (index_fd_ >= 0 && ::fdatasync(index_fd_) != 0) {
    throw_error(ErrorKind::input, "cannot checkpoint: syncing " + index_path(directory_, rank_) + " failed: " + system_reason());
  }
}

}  // namespace tessera::memory
