#include "io/hdf5/library_info.hpp"

#include <hdf5.h>

namespace tessera::io {

std::string hdf5_library_version() {
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  std::string version = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
#ifdef H5_HAVE_PARALLEL
  version += " (parallel)";
#else
  version += " (serial)";
#endif
  return version;
}

}  // namespace tessera::io
