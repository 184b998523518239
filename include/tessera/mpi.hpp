#pragma once
/// The one public header that includes <mpi.h>: a Runtime on a communicator
/// the program already has.
///
///     MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
///     MPI_Comm analysis;
///     MPI_Comm_split(MPI_COMM_WORLD, color, rank, &analysis);
///     {
///       tessera::Runtime runtime(analysis);   // Tessera works on its own duplicate
///       auto s = tessera::compute(summary);
///     }                                       // before MPI_Finalize, which stays yours
#include <tessera/runtime.hpp>

#include <mpi.h>

namespace tessera {

struct NativeComm {
  NativeComm(MPI_Comm c) : comm(c) {}  // implicit: Runtime(MPI_COMM_WORLD) reads naturally
  MPI_Comm comm;
};

}  // namespace tessera
