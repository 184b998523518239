#include "graph/crash_report.hpp"

#include "graph/task_error.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string_view>

#include <unistd.h>

namespace tessera::graph {

constinit thread_local const Key* running_task [[gnu::tls_model("initial-exec")]] = nullptr;

namespace {

struct CrashSignal {
  int number;
  const char* name;
  const char* meaning;
  struct sigaction previous;  // runs after our report, if it was a function
};

CrashSignal crash_signals[] = {
    {SIGSEGV, "SIGSEGV", "segmentation fault", {}}, {SIGBUS, "SIGBUS", "bus error", {}},
    {SIGFPE, "SIGFPE", "arithmetic error", {}},     {SIGILL, "SIGILL", "illegal instruction", {}},
    {SIGABRT, "SIGABRT", "abort", {}},
};

// One line of text on the handler's stack: no allocation, and one write(2)
// so that ranks' lines do not interleave. What does not fit is cut.
class Line {
 public:
  Line& text(std::string_view part) {
    const std::size_t n = std::min(part.size(), sizeof bytes_ - 1 - size_);  // room for the '\n'
    std::memcpy(bytes_ + size_, part.data(), n);
    size_ += n;
    return *this;
  }
  Line& number(std::int64_t value) {
    char digits[24];
    std::size_t at = sizeof digits;
    auto magnitude = value < 0 ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
    do {
      digits[--at] = static_cast<char>('0' + magnitude % 10);
      magnitude /= 10;
    } while (magnitude != 0);
    if (value < 0) digits[--at] = '-';
    return text({digits + at, sizeof digits - at});
  }
  // As Key::str() writes it, token included.
  Line& key(const Key& key) {
    key.write([this](std::string_view part) { text(part); });
    return *this;
  }
  void write_to(int fd) {
    bytes_[size_++] = '\n';
    for (std::size_t done = 0; done < size_;) {
      const ssize_t n = ::write(fd, bytes_ + done, size_ - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
  }

 private:
  char bytes_[1024];
  std::size_t size_ = 0;
};

void report_crash(int signal, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  const CrashSignal* crash = crash_signals;
  while (crash->number != signal) ++crash;
  Line line;
  line.text("tessera: rank ").number(process_rank());  // a lock-free atomic load
  line.text(" crashed with ").text(crash->name).text(" (").text(crash->meaning).text(")");
  // The name comes from the interned-name table, whose lock only interning
  // holds exclusively: a task does not crash inside that.
  if (const Key* key = running_task) {
    line.text(" while running task ").key(*key);
  } else {
    line.text(" outside any task");
  }
  line.write_to(STDERR_FILENO);

  // Then whatever would have happened without us, and death by the signal:
  // default action first, so that a signal the previous handler raises again
  // (Open MPI's does) or ours below ends the process once unblocked.
  restore_default_action(signal);
  errno = saved_errno;
  if (is_handler_function(crash->previous)) call_handler(crash->previous, signal, info, context);
  raise_unblocked(signal);
}

// A stack overflow faults on the guard page with no stack left to run a
// handler on: the report runs on a stack of its own. Freed when the thread ends.
class AlternateStack {
 public:
  AlternateStack() {
    stack_t current{};
    if (::sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) return;  // someone else's
    const std::size_t size = std::max<std::size_t>(64 * 1024, SIGSTKSZ);
    memory_ = std::malloc(size);
    if (!memory_) return;
    stack_t ours{};
    ours.ss_sp = memory_;
    ours.ss_size = size;
    if (::sigaltstack(&ours, nullptr) != 0) {
      std::free(memory_);
      memory_ = nullptr;
    }
  }
  ~AlternateStack() {
    if (!memory_) return;
    stack_t current{};
    if (::sigaltstack(nullptr, &current) == 0 && current.ss_sp == memory_) {
      stack_t off{};
      off.ss_flags = SS_DISABLE;
      ::sigaltstack(&off, nullptr);
    }
    std::free(memory_);
  }
  AlternateStack(const AlternateStack&) = delete;
  AlternateStack& operator=(const AlternateStack&) = delete;

 private:
  void* memory_ = nullptr;
};

}  // namespace

bool is_handler_function(const struct sigaction& action) noexcept {
  if (action.sa_flags & SA_SIGINFO) return action.sa_sigaction != nullptr;
  return action.sa_handler != SIG_DFL && action.sa_handler != SIG_IGN;
}

bool is_ignored(const struct sigaction& action) noexcept {
  return !(action.sa_flags & SA_SIGINFO) && action.sa_handler == SIG_IGN;
}

void call_handler(const struct sigaction& action, int signal, siginfo_t* info, void* context) noexcept {
  if (action.sa_flags & SA_SIGINFO) {
    action.sa_sigaction(signal, info, context);
  } else {
    action.sa_handler(signal);
  }
}

void restore_default_action(int signal) noexcept {
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  ::sigaction(signal, &default_action, nullptr);
}

void raise_unblocked(int signal) noexcept {
  ::raise(signal);
  sigset_t just_this;
  sigemptyset(&just_this);
  sigaddset(&just_this, signal);
  ::sigprocmask(SIG_UNBLOCK, &just_this, nullptr);
}

void use_alternate_signal_stack() { thread_local AlternateStack stack; }

void install_crash_handlers() {
  static std::mutex installing;
  std::lock_guard lock(installing);
  struct sigaction ours {};
  ours.sa_sigaction = report_crash;
  ours.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&ours.sa_mask);
  for (auto& crash : crash_signals) {
    struct sigaction current {};
    if (::sigaction(crash.number, nullptr, &current) != 0) continue;
    if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == report_crash) continue;  // still ours
    if (is_ignored(current)) continue;  // the program's choice
    crash.previous = current;
    ::sigaction(crash.number, &ours, nullptr);
  }
  use_alternate_signal_stack();
}

void prepare_crash_reports() {
  static const bool installed = (install_crash_handlers(), true);
  (void)installed;
  use_alternate_signal_stack();
}

}  // namespace tessera::graph
