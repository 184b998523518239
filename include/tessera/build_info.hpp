#pragma once
/// What this Tessera was built with, for `tessera info` and bug reports.
///
///     auto info = tessera::build_info();
///     std::cout << info.mpi << "\n";   // Open MPI v4.1.4, ...
#include <string>

namespace tessera {

struct BuildInfo {
  std::string tessera;   // Tessera's version
  std::string compiler;  // compiler and version
  std::string build_type;
  std::string mpi;       // the MPI library's own version string
  std::string hdf5;
  std::string eigen;
  std::string boost;
};

BuildInfo build_info();

}  // namespace tessera
