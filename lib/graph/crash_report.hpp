#pragma once
// A task that crashes its process (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT)
// is named on stderr before the process dies of the signal:
//
//   tessera: rank 1 crashed with SIGSEGV (segmentation fault) while running task ('crash', 3)
//
// The process then dies of that signal as it would have without us, so a
// launcher sees a rank killed by a signal and ends the job.
#include <tessera/key.hpp>

#include <csignal>

namespace tessera::graph {

// The key of the task running on this thread, or null. Initial-exec TLS:
// reading it costs no call per task, and the signal handler reads it
// without __tls_get_addr (which may allocate).
extern constinit thread_local const Key* running_task [[gnu::tls_model("initial-exec")]];

/// Marks `key` as this thread's running task for as long as it lives.
class RunningTask {
 public:
  explicit RunningTask(const Key& key) noexcept : previous_(running_task) { running_task = &key; }
  ~RunningTask() { running_task = previous_; }
  RunningTask(const RunningTask&) = delete;
  RunningTask& operator=(const RunningTask&) = delete;

 private:
  const Key* previous_;  // a task's nested compute() runs tasks on the same thread
};

// Handing a signal on to what was there before us, async-signal-safe; the
// spill directory's SIGTERM/SIGINT cleanup (memory/spill_directory.cpp) uses them too.
/// Whether a saved action is a function (neither SIG_DFL nor SIG_IGN).
bool is_handler_function(const struct sigaction& action) noexcept;
bool is_ignored(const struct sigaction& action) noexcept;
/// Calls a saved handler function the way the kernel would have.
void call_handler(const struct sigaction& action, int signal, siginfo_t* info, void* context) noexcept;
/// Gives `signal` its default action back.
void restore_default_action(int signal) noexcept;
/// Raises `signal` and unblocks it (it is blocked inside its handler), so
/// that with the default action the process dies of it: exit status 128+signal.
void raise_unblocked(int signal) noexcept;

/// Installs the crash handlers where the signal still has its default
/// action or a handler of someone else's (which then runs after ours: Open
/// MPI's backtrace, ASan's report); again if something replaced ours. Also
/// gives the calling thread an alternate signal stack.
void install_crash_handlers();

/// Installs the handlers once per process, and the calling thread's
/// alternate stack: cheap enough for the start of every compute().
void prepare_crash_reports();

/// Gives the calling thread an alternate signal stack, unless it has one
/// (ASan gives its threads theirs), so that a stack overflow still reports.
void use_alternate_signal_stack();

}  // namespace tessera::graph
