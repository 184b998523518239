#include "comm/library_info.hpp"

#include <boost/version.hpp>
#include <mpi.h>

namespace tessera::comm {

std::string mpi_library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  if (MPI_Get_library_version(text, &length) != MPI_SUCCESS) return "unknown";
  (void)length;  // Open MPI counts the terminating NUL in it: read the C string instead
  std::string version(text);
  if (auto eol = version.find_first_of("\r\n"); eol != std::string::npos) version.resize(eol);
  int major = 0, minor = 0;
  MPI_Get_version(&major, &minor);
  return version + " (MPI " + std::to_string(major) + "." + std::to_string(minor) + ")";
}

std::string boost_version() {
  return std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000) + "." +
         std::to_string(BOOST_VERSION % 100);
}

}  // namespace tessera::comm
