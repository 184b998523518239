#pragma once
#include <string>

namespace tessera::io {
/// The HDF5 library's version, and whether it was built for MPI.
std::string hdf5_library_version();
}  // namespace tessera::io
