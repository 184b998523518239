#include "io/hdf5/hdf5_session.hpp"

#include <mpi.h>

namespace tessera::io::detail {
namespace {

std::mutex hdf5_mutex;
bool silenced = false;  // guarded by hdf5_mutex

herr_t innermost(unsigned depth, const H5E_error2_t* error, void* client) {
  // Walking upward starts where the failure was detected: the most specific text.
  if (depth == 0 && error->desc != nullptr) *static_cast<std::string*>(client) = error->desc;
  return 0;
}

}  // namespace

std::unique_lock<std::mutex> lock_hdf5() {
  std::unique_lock lock(hdf5_mutex);
  if (!silenced) {
    H5open();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    silenced = true;
  }
  return lock;
}

bool Hid::reset() noexcept {
  if (id_ < 0) return true;
  herr_t status = 0;
  switch (H5Iget_type(id_)) {
    case H5I_FILE: status = H5Fclose(id_); break;
    case H5I_GROUP: status = H5Gclose(id_); break;
    case H5I_DATATYPE: status = H5Tclose(id_); break;
    case H5I_DATASPACE: status = H5Sclose(id_); break;
    case H5I_DATASET: status = H5Dclose(id_); break;
    case H5I_ATTR: status = H5Aclose(id_); break;
    case H5I_GENPROP_LST: status = H5Pclose(id_); break;
    default: status = H5Idec_ref(id_); break;
  }
  id_ = H5I_INVALID_HID;
  return status >= 0;
}

std::string hdf5_error_detail() {
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, &detail);
  return detail;
}

void fail_with_detail(ErrorKind kind, std::string message, std::string hint) {
  const std::string detail = hdf5_error_detail();
  if (!detail.empty()) message += " (HDF5: " + detail + ")";
  throw_error(kind, std::move(message), std::move(hint));
}

bool mpi_active() {
  int initialised = 0, finalised = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  return initialised != 0 && finalised == 0;
}

bool mpi_thread_multiple() {
  if (!mpi_active()) return false;
  int provided = MPI_THREAD_SINGLE;
  MPI_Query_thread(&provided);
  return provided == MPI_THREAD_MULTIPLE;
}

}  // namespace tessera::io::detail
