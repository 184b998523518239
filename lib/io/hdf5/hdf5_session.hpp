#pragma once
// What every HDF5 call of the process goes through: one mutex, owned handles,
// and HDF5's error stack turned into the text of our exceptions.
#include <tessera/error.hpp>

#include <hdf5.h>

#include <mutex>
#include <string>
#include <utility>

namespace tessera::io::detail {

/// Locks the process's HDF5 mutex. Debian's parallel HDF5 is built without
/// --enable-threadsafe, so no two threads may be inside the library at once,
/// whatever they call. The first lock also silences HDF5's printing of its
/// error stack: failures become exceptions instead.
std::unique_lock<std::mutex> lock_hdf5();

/// An owned HDF5 identifier, closed with the H5?close that fits its type.
class Hid {
 public:
  Hid() = default;
  explicit Hid(hid_t id) noexcept : id_(id) {}
  Hid(Hid&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Hid& operator=(Hid&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  ~Hid() { reset(); }

  hid_t get() const noexcept { return id_; }
  bool valid() const noexcept { return id_ >= 0; }
  /// Closes now; false (with the error stack set) when HDF5 reports a failure.
  bool reset() noexcept;

 private:
  hid_t id_ = H5I_INVALID_HID;
};

/// The innermost description on HDF5's error stack ("unable to open file:
/// name = 'x.h5', errno = 2, ..."), or empty: the detail for our message.
std::string hdf5_error_detail();

/// Throws `kind` with `message`, followed by HDF5's own detail when there is one.
[[noreturn]] void fail_with_detail(ErrorKind kind, std::string message, std::string hint = {});

/// MPI is initialised and not finalised.
bool mpi_active();
/// MPI_Query_thread says MPI_THREAD_MULTIPLE: MPI-IO may be called from a
/// worker thread while the scheduler's thread talks to MPI.
bool mpi_thread_multiple();

}  // namespace tessera::io::detail
