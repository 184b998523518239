#include <tessera/build_info.hpp>
#include <tessera/version.hpp>

#include "comm/library_info.hpp"
#include "io/hdf5/library_info.hpp"

#include <Eigen/Core>

namespace tessera {

BuildInfo build_info() {
  BuildInfo info;
  info.tessera = version_string;
  info.compiler = compiler_string;
  info.build_type = build_type_string;
  info.mpi = comm::mpi_library_version();
  info.hdf5 = io::hdf5_library_version();
  info.eigen = std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
               std::to_string(EIGEN_MINOR_VERSION);
  info.boost = comm::boost_version();
  return info;
}

}  // namespace tessera
