// A Runtime on a communicator the program made itself: Tessera must work on
// it alone, and leave MPI (init, finalize, the world communicator) to the program.
#include <tessera/delayed.hpp>
#include <tessera/futures.hpp>
#include <tessera/mpi.hpp>

#include <cstdio>
#include <numeric>

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  int world_rank = 0, world_size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  MPI_Comm half;  // even and odd world ranks
  MPI_Comm_split(MPI_COMM_WORLD, world_rank % 2, world_rank, &half);
  int half_size = 0;
  MPI_Comm_size(half, &half_size);

  int failures = 0;
  {
    tessera::Runtime runtime(half);
    if (runtime.size() != half_size) ++failures;
    // Each half sums a different range: a result that mixed the halves would be wrong.
    const int offset = 1000 * (world_rank % 2);
    auto square = tessera::delayed([](int i) { return static_cast<long long>(i) * i; }, "square");
    std::vector<tessera::Delayed<long long>> parts;
    for (int i = 0; i < 50; ++i) parts.push_back(square(offset + i));
    auto total = tessera::delayed([](const std::vector<long long>& v) {
      return std::accumulate(v.begin(), v.end(), 0LL);
    }, "total")(parts);
    long long expected = 0;
    for (int i = 0; i < 50; ++i) expected += static_cast<long long>(offset + i) * (offset + i);
    const long long got = tessera::compute(total);
    if (got != expected) {
      std::printf("world rank %d: sum %lld, expected %lld\n", world_rank, got, expected);
      ++failures;
    }
    // Futures without MPI_THREAD_MULTIPLE: no service thread, the waiting thread drives it.
    auto squares = tessera::map([](int i) { return static_cast<long long>(i) * i; }, std::vector<int>{1, 2, 3, 4});
    const auto values = tessera::gather(squares);
    const long long futures_sum = std::accumulate(values.begin(), values.end(), 0LL);
    if (futures_sum != 30) {
      std::printf("world rank %d: futures sum %lld, expected 30\n", world_rank, futures_sum);
      ++failures;
    }
  }
  // The program keeps using MPI itself after the Runtime is gone.
  int all_failures = 0;
  MPI_Allreduce(&failures, &all_failures, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) all_failures += 1000;  // Tessera must not have finalised MPI
  MPI_Comm_free(&half);
  MPI_Finalize();
  if (world_rank == 0) std::printf("subcommunicator runtime: %d failure(s) on %d ranks\n", all_failures, world_size);
  return all_failures == 0 ? 0 : 1;
}
