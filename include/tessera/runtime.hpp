#pragma once
/// Runtime: Tessera across the ranks of an MPI job.
///
///     int main(int argc, char** argv) {
///       tessera::Runtime runtime(argc, argv);       // MPI_Init_thread if nobody did
///       auto total = tessera::delayed(summarize, "summarize")(parts);
///       auto s = tessera::compute(total);          // collective: the same value on every rank
///       if (runtime.rank() == 0) std::cout << s << "\n";
///     }                                             // MPI_Finalize if it initialised MPI
///
/// Every rank runs the same program and builds the same graphs; while a
/// Runtime of several ranks is alive, compute() and persist() are collective:
/// rank 0 decides where each task runs, every rank runs tasks on its own
/// thread pool, and results move point to point between the ranks that hold
/// and need them. Run without mpirun, a program is one rank.
///
/// A simulation that already uses MPI hands over its communicator instead
/// (`#include <tessera/mpi.hpp>`, then `tessera::Runtime runtime(MPI_COMM_WORLD)`);
/// Tessera then neither initialises nor finalises MPI, and works on a
/// private duplicate of that communicator. Ending a Runtime is collective,
/// like the MPI_Comm_free it makes: a rank's destructor returns once every
/// rank of the communicator has ended its own (a rank still computing with
/// it learns at once that this one left).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tessera {

struct RuntimeOptions {
  unsigned threads = 0;  // worker threads on this rank; 0: TESSERA_THREADS, else this rank's share of the node
};

struct NativeComm;  // an MPI_Comm; defined in <tessera/mpi.hpp>

namespace comm {
class RuntimeState;
}

class Runtime {
 public:
  Runtime();
  Runtime(int& argc, char**& argv, RuntimeOptions options = {});
  explicit Runtime(const NativeComm& comm, RuntimeOptions options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  int rank() const;
  int size() const;
  unsigned threads() const;  // worker threads on this rank
  /// CPUs the worker threads may run on (the launcher's binding, or the
  /// whole cpuset when that binding has fewer CPUs than threads).
  unsigned worker_cpus() const;
  std::string host() const;

  /// Collective helpers for programs and tests.
  void barrier() const;
  std::int64_t max_over_ranks(std::int64_t value) const;
  std::int64_t sum_over_ranks(std::int64_t value) const;
  /// `text` from `root`, on every rank.
  std::string broadcast(const std::string& text, int root = 0) const;
  /// Every rank's `text`, in rank order, on every rank.
  std::vector<std::string> all_gather(const std::string& text) const;
  /// Every rank's `text`, in rank order, on `root` only (empty elsewhere): sent
  /// point to point, each rank's at its own pace, of any size.
  std::vector<std::string> gather(const std::string& text, int root = 0) const;

  /// The active Runtime, or nullptr.
  static Runtime* current();

 private:
  std::unique_ptr<comm::RuntimeState> state_;
};

}  // namespace tessera
