// Raw MPI ping-pong between ranks 0 and 1: the ceiling for `tessera bench
// transfer`. Buffers are allocated and touched once, then reused, so the
// figure is the transport's alone. One-way time = round trip / 2.
//   mpirun -n 2 mpi_pingpong --bytes 8388608 [--repeat 20]
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  long long bytes = 8 << 20;
  int repeat = 20;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--bytes") bytes = std::atoll(argv[i + 1]);
    if (std::string(argv[i]) == "--repeat") repeat = std::atoi(argv[i + 1]);
  }
  if (size < 2) {
    if (rank == 0) std::fprintf(stderr, "mpi_pingpong needs 2 ranks\n");
    MPI_Finalize();
    return 2;
  }
  std::vector<char> buffer(static_cast<std::size_t>(bytes));
  std::memset(buffer.data(), 1, buffer.size());
  const int count = static_cast<int>(std::min<long long>(bytes, 1LL << 30));
  double best = 1e30;
  for (int r = 0; r < repeat + 1; ++r) {  // the first round trip warms up
    MPI_Barrier(MPI_COMM_WORLD);
    double start = MPI_Wtime();
    if (rank == 0) {
      MPI_Send(buffer.data(), count, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
      MPI_Recv(buffer.data(), count, MPI_BYTE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else if (rank == 1) {
      MPI_Recv(buffer.data(), count, MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(buffer.data(), count, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
    }
    double one_way = (MPI_Wtime() - start) / 2;
    if (r > 0) best = std::min(best, one_way);
  }
  if (rank == 0) std::printf("pingpong bytes=%lld MB_per_s=%.1f\n", bytes, static_cast<double>(count) / best / 1e6);
  MPI_Finalize();
  return 0;
}
