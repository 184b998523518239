#pragma once
/// Errors: every exception Tessera throws derives from tessera::Error, so
/// catching `const tessera::Error&` around Tessera calls is always enough.
///
///     try {
///       auto total = tessera::compute(summary);
///     } catch (const tessera::TaskError& e) {
///       std::cerr << e.what() << "\n";        // names the key, rank, type and message
///       std::cerr << e.info().key << "\n";    // ('process', 3)
///     }
///
/// ErrorInfo is a plain value: it crosses threads (and later ranks) and can be
/// rethrown anywhere as the same exception type.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace tessera {

enum class ErrorKind : std::uint8_t { generic, input, graph, task, type, mismatch, comm, cancelled, memory };

struct ErrorInfo {
  ErrorKind kind = ErrorKind::generic;
  std::string message;         // what happened, in the user's words
  std::string key;             // the task key involved, printed, or empty
  int rank = -1;               // the rank it happened on, or -1 when not known
  std::string original_type;   // for task errors: the demangled type of what the task threw
  std::string hint;            // what to do about it, or empty

  /// The one-line text `what()` returns, built from the fields above.
  std::string describe() const;
};

/// An ErrorInfo of `kind` with only a message.
inline ErrorInfo error_info(ErrorKind kind, std::string message) {
  ErrorInfo info;
  info.kind = kind;
  info.message = std::move(message);
  return info;
}

class Error : public std::runtime_error {
 public:
  explicit Error(ErrorInfo info);
  explicit Error(std::string message) : Error(error_info(ErrorKind::generic, std::move(message))) {}
  const ErrorInfo& info() const noexcept { return info_; }

 private:
  ErrorInfo info_;
};

/// Bad input the user can fix: a file, line, field, dataset or shape.
class InputError : public Error {
 public:
  using Error::Error;
  explicit InputError(std::string message) : Error(error_info(ErrorKind::input, std::move(message))) {}
};
/// An invalid graph: a cycle, a reference to a missing key, a duplicate key.
class GraphError : public Error {
 public:
  using Error::Error;
  explicit GraphError(std::string message) : Error(error_info(ErrorKind::graph, std::move(message))) {}
};
/// A user task threw; info() names the key, rank and the original type and message.
class TaskError : public Error {
 public:
  using Error::Error;
  explicit TaskError(std::string message) : Error(error_info(ErrorKind::task, std::move(message))) {}
};
/// A value was read as a type other than the one it holds.
class TypeError : public Error {
 public:
  using Error::Error;
  explicit TypeError(std::string message) : Error(error_info(ErrorKind::type, std::move(message))) {}
};
/// The ranks built different graphs (fingerprint mismatch).
class GraphMismatch : public Error {
 public:
  using Error::Error;
  explicit GraphMismatch(std::string message) : Error(error_info(ErrorKind::mismatch, std::move(message))) {}
};
/// An MPI failure, a lost rank or a timeout.
class CommError : public Error {
 public:
  using Error::Error;
  explicit CommError(std::string message) : Error(error_info(ErrorKind::comm, std::move(message))) {}
};
/// The result of a cancelled future was asked for.
class CancelledError : public Error {
 public:
  using Error::Error;
  explicit CancelledError(std::string message) : Error(error_info(ErrorKind::cancelled, std::move(message))) {}
};
/// A rank could not keep within its memory budget: spilling to disk failed
/// (no space, no such directory); info() names the directory and the rank.
class MemoryError : public Error {
 public:
  using Error::Error;
  explicit MemoryError(std::string message) : Error(error_info(ErrorKind::memory, std::move(message))) {}
};

/// Throws the exception class that matches info.kind.
[[noreturn]] void throw_error(ErrorInfo info);
/// The same, for the common case of a message and a hint.
[[noreturn]] void throw_error(ErrorKind kind, std::string message, std::string hint = {});

/// The demangled name of a type, for messages.
std::string demangle(const char* mangled);

}  // namespace tessera
