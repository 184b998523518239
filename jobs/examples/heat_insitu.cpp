// In-situ analysis of a running MPI simulation: a 2-D heat equation on an
// N x N grid, cut into row slabs, one per rank of its own sub-communicator,
// with halo rows exchanged directly with MPI. Every K steps each rank hands
// its slab to Tessera with from_local_blocks (adopted, not copied), and
// Tessera computes the field's mean, min, max and a histogram across the
// ranks and writes a snapshot with parallel HDF5; the field is never
// gathered on one rank.
//
//   mpirun -n 4 ./heat_insitu [N] [STEPS] [EVERY] [BINS] [DIR]
//
// Rank 0 prints one line per analysis, `step S mean M min m max X hist c0 c1 ...`
// (numbers to 17 digits), and at the end the time per step of the simulation
// and per analysis of the statistics and of the snapshot. Snapshots go to DIR/heat_S.h5, dataset /u.
#include <tessera/array.hpp>
#include <tessera/io/hdf5.hpp>
#include <tessera/mpi.hpp>
#include <tessera/runtime.hpp>

#include <mpi.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace da = tessera::array;

namespace {

// The slab of rows [first, first + rows) and the halo rows above and below it.
struct Slab {
  std::int64_t n = 0, first = 0, rows = 0;
  std::vector<double> above, below;  // the neighbours' edge rows (zeros at the grid's edges)
};

// A hot square and a warm stripe: any rank computes any cell's start value.
double initial(std::int64_t i, std::int64_t j, std::int64_t n) {
  const bool hot = i > n / 4 && i < n / 2 && j > n / 4 && j < n / 2;
  const bool stripe = j > (3 * n) / 4 && j < (3 * n) / 4 + n / 16;
  return hot ? 100.0 : stripe ? 50.0 : 0.0;
}

void exchange_halos(const double* u, Slab& s, MPI_Comm comm, int rank, int ranks) {
  const int up = rank > 0 ? rank - 1 : MPI_PROC_NULL, down = rank + 1 < ranks ? rank + 1 : MPI_PROC_NULL;
  const int n = static_cast<int>(s.n);
  std::fill(s.above.begin(), s.above.end(), 0.0);
  std::fill(s.below.begin(), s.below.end(), 0.0);
  // My first row goes up as the upper neighbour's `below`; my last row goes down.
  MPI_Sendrecv(u, n, MPI_DOUBLE, up, 0, s.below.data(), n, MPI_DOUBLE, down, 0, comm, MPI_STATUS_IGNORE);
  MPI_Sendrecv(u + (s.rows - 1) * s.n, n, MPI_DOUBLE, down, 1, s.above.data(), n, MPI_DOUBLE, up, 1, comm,
               MPI_STATUS_IGNORE);
}

// One explicit step; cells on the grid's border stay at 0.
void step(const double* u, double* next, const Slab& s, double alpha) {
  const std::int64_t n = s.n;
  for (std::int64_t r = 0; r < s.rows; ++r) {
    const std::int64_t i = s.first + r;
    const double* row = u + r * n;
    const double* north = r > 0 ? u + (r - 1) * n : s.above.data();
    const double* south = r + 1 < s.rows ? u + (r + 1) * n : s.below.data();
    double* out = next + r * n;
    for (std::int64_t j = 0; j < n; ++j) {
      if (i == 0 || i == n - 1 || j == 0 || j == n - 1) {
        out[j] = 0.0;
        continue;
      }
      out[j] = row[j] + alpha * ((north[j] + south[j] + row[j - 1] + row[j + 1]) - 4.0 * row[j]);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  const std::int64_t n = argc > 1 ? std::atoll(argv[1]) : 256;
  const int steps = argc > 2 ? std::atoi(argv[2]) : 200;
  const int every = argc > 3 ? std::atoi(argv[3]) : 50;
  const int bins = argc > 4 ? std::atoi(argv[4]) : 10;
  const std::string dir = argc > 5 ? argv[5] : ".";
  // The simulation's own communicator, apart from MPI_COMM_WORLD (as a coupled code would have).
  int world_rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  MPI_Comm sim;
  MPI_Comm_split(MPI_COMM_WORLD, 0, world_rank, &sim);
  {
    int rank = 0, ranks = 1;
    MPI_Comm_rank(sim, &rank);
    MPI_Comm_size(sim, &ranks);
    tessera::Runtime runtime(sim);  // Tessera on (a duplicate of) the simulation's communicator

    Slab s;
    s.n = n;
    s.first = n * rank / ranks;
    s.rows = n * (rank + 1) / ranks - s.first;
    s.above.assign(static_cast<std::size_t>(n), 0.0);
    s.below.assign(static_cast<std::size_t>(n), 0.0);
    // Two buffers, swapped each step: the one handed to Tessera is not written while it is analysed.
    const da::Shape block_shape{s.rows, n};
    da::NDArray u(tessera::DType::float64, block_shape), next(tessera::DType::float64, block_shape);
    for (std::int64_t r = 0; r < s.rows; ++r) {
      for (std::int64_t j = 0; j < n; ++j) u.mutable_view<double>()[static_cast<std::size_t>(r * n + j)] = initial(s.first + r, j, n);
    }
    const double alpha = 0.2;
    double simulate_seconds = 0, statistics_seconds = 0, snapshot_seconds = 0;
    int analyses = 0;
    using Clock = std::chrono::steady_clock;
    for (int t = 1; t <= steps; ++t) {
      const auto started = Clock::now();
      // Written only here, between analyses: Tessera has let go of the buffer by then.
      exchange_halos(u.view<double>().data(), s, sim, rank, ranks);
      step(u.view<double>().data(), next.mutable_view<double>().data(), s, alpha);
      std::swap(u, next);
      simulate_seconds += std::chrono::duration<double>(Clock::now() - started).count();
      if (t % every != 0) continue;

      const auto analysis = Clock::now();
      // Slabs are row blocks: block (rank, 0) of a (ranks x 1) grid. The buffer is adopted, not copied.
      const da::Array x = da::from_local_blocks(u, {rank, 0}, {n, n});
      // numpy.histogram's bins over [0, 100], counted in one pass over each block.
      const da::Array counts = da::histogram(x, bins, {0.0, 100.0}).counts;
      const da::Array summary = da::concatenate({da::stack({x.mean(), x.min(), x.max()}), counts.astype(tessera::DType::float64)});
      const da::NDArray values = summary.compute();  // one collective compute
      const auto snapshot = Clock::now();
      da::to_hdf5(dir + "/heat_" + std::to_string(t) + ".h5", "/u", x);  // every rank writes its own rows
      statistics_seconds += std::chrono::duration<double>(snapshot - analysis).count();
      snapshot_seconds += std::chrono::duration<double>(Clock::now() - snapshot).count();
      ++analyses;
      if (rank == 0) {
        const auto v = values.view<double>();
        std::printf("step %d mean %.17g min %.17g max %.17g hist", t, v[0], v[1], v[2]);
        for (int b = 0; b < bins; ++b) std::printf(" %lld", static_cast<long long>(v[3 + b]));
        std::printf("\n");
      }
    }
    if (rank == 0) {
      const double per = analyses ? 1e3 / analyses : 0.0;
      std::printf("ranks=%d n=%lld steps=%d analyses=%d simulate_ms_per_step=%.3f statistics_ms_per_analysis=%.3f "
                  "snapshot_ms_per_analysis=%.3f\n",
                  ranks, static_cast<long long>(n), steps, analyses, 1e3 * simulate_seconds / steps,
                  per * statistics_seconds, per * snapshot_seconds);
    }
  }  // the Runtime ends here, before the communicator it was given
  MPI_Comm_free(&sim);
  MPI_Finalize();
  return 0;
}
