#pragma once
// The one door through which a layer other than comm reaches MPI (STYLE.md §1):
// lib/io/hdf5 hands the Runtime's communicator to HDF5's MPI-IO file driver.
#include <mpi.h>

namespace tessera::comm {
/// The active Runtime's communicator (its private duplicate), or
/// MPI_COMM_NULL when no Runtime is active (then MPI may not be initialised).
MPI_Comm runtime_comm() noexcept;
}  // namespace tessera::comm
