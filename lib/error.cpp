#include <tessera/error.hpp>

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

namespace tessera {

std::string ErrorInfo::describe() const {
  std::string out;
  if (kind == ErrorKind::task && !key.empty()) {
    out = "task " + key + " failed";
    if (rank >= 0) out += " on rank " + std::to_string(rank);
    out += ": ";
    if (!original_type.empty()) out += original_type + ": ";
    out += message;
  } else {
    out = message;
    if (!key.empty()) out += " (key " + key + ")";
    if (rank >= 0) out += " (rank " + std::to_string(rank) + ")";
  }
  if (!hint.empty()) out += " (hint: " + hint + ")";
  return out;
}

Error::Error(ErrorInfo info) : std::runtime_error(info.describe()), info_(std::move(info)) {}

void throw_error(ErrorInfo info) {
  switch (info.kind) {
    case ErrorKind::input: throw InputError(std::move(info));
    case ErrorKind::graph: throw GraphError(std::move(info));
    case ErrorKind::task: throw TaskError(std::move(info));
    case ErrorKind::type: throw TypeError(std::move(info));
    case ErrorKind::mismatch: throw GraphMismatch(std::move(info));
    case ErrorKind::comm: throw CommError(std::move(info));
    case ErrorKind::cancelled: throw CancelledError(std::move(info));
    case ErrorKind::memory: throw MemoryError(std::move(info));
    case ErrorKind::generic: break;
  }
  throw Error(std::move(info));
}

void throw_error(ErrorKind kind, std::string message, std::string hint) {
  ErrorInfo info;
  info.kind = kind;
  info.message = std::move(message);
  info.hint = std::move(hint);
  throw_error(std::move(info));
}

std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> text(abi::__cxa_demangle(mangled, nullptr, nullptr, &status),
                                              std::free);
  return status == 0 && text ? std::string(text.get()) : std::string(mangled);
}

}  // namespace tessera
