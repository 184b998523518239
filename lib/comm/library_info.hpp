#pragma once
#include <string>

namespace tessera::comm {
/// MPI_Get_library_version, first line; callable before MPI_Init.
std::string mpi_library_version();
/// The Boost version the transport's serialisation is built with.
std::string boost_version();
}  // namespace tessera::comm
