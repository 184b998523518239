// Runtime: MPI set-up and tear-down, and the Network the scheduler runs on.
//
// Tessera works on a private duplicate of the communicator it is given, so
// its messages never meet the program's own. It initialises MPI only when
// nobody has, and then finalises it too. Threads per rank: the option, else
// TESSERA_THREADS, else the node's cores shared among the ranks on the node;
// the memory budget's default is likewise the node's RAM shared among them.
#include <tessera/compute.hpp>
#include <tessera/log.hpp>
#include <tessera/mpi.hpp>
#include <tessera/runtime.hpp>
#include <tessera/size.hpp>

#include "comm/mpi_network.hpp"
#include "comm/native_handle.hpp"
#include "config/setting_sources.hpp"
#include "graph/crash_report.hpp"
#include "graph/task_error.hpp"
#include "memory/budget.hpp"
#include "schedule/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string_view>
#include <thread>
#include <sched.h>
#include <unistd.h>

namespace tessera::comm {

class RuntimeState {
 public:
  RuntimeState(MPI_Comm user_comm, bool initialise, int* argc, char*** argv, const RuntimeOptions& options) {
    // Before MPI_Init, which then leaves these signals to us; after a
    // program's own MPI_Init, Open MPI's backtrace runs after our report.
    graph::install_crash_handlers();
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) {
      if (!initialise) comm_fail("MPI is not initialised, but Runtime(MPI_Comm) expects the program to have done it");
      int provided = 0;
      // The thread that calls compute() and, with futures, a background runner
      // talk to MPI at once, each on its own communicator: that needs MULTIPLE.
      // With less, futures run when waited on instead of in the background.
      check_mpi(MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided), "MPI_Init_thread");
      owns_mpi_ = true;
      user_comm = MPI_COMM_WORLD;
    }
    check_mpi(MPI_Comm_dup(user_comm, &comm_), "MPI_Comm_dup");
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");

    MPI_Comm node;
    check_mpi(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
    int ranks_on_node = 1;
    MPI_Comm_size(node, &ranks_on_node);
    MPI_Comm_free(&node);
    memory::Budget::instance().set_placement(ranks_on_node, rank_);  // the default limit is a share of the node
    graph::set_process_rank(rank_);  // task errors and crash reports name it
    threads_ = options.threads;
    config::note_source("threads", "RuntimeOptions::threads");
    if (threads_ == 0 && std::getenv("TESSERA_THREADS")) {
      threads_ = default_thread_count();
      config::note_source("threads", "TESSERA_THREADS");
    }
    if (const auto slurm = config::slurm_number("SLURM_CPUS_PER_TASK"); threads_ == 0 && slurm > 0 && slurm <= 4096) {
      threads_ = static_cast<unsigned>(slurm);  // the CPUs Slurm gave each task
      config::note_source("threads", "SLURM_CPUS_PER_TASK");
    }
    if (threads_ == 0) {
      threads_ = std::max(1u, std::thread::hardware_concurrency() / static_cast<unsigned>(ranks_on_node));
      config::note_source("threads", "default: the node's cores / ranks on the node");
    }
    spread_workers_beyond_binding();
    std::vector<unsigned> all(static_cast<std::size_t>(size_));
    check_mpi(MPI_Allgather(&threads_, 1, MPI_UNSIGNED, all.data(), 1, MPI_UNSIGNED, comm_), "MPI_Allgather");
    network_ = std::make_unique<MpiNetwork>(comm_, std::move(all));
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    host_ = name;
    if (log_enabled(LogLevel::info)) {
      log(LogLevel::info, "runtime: rank " + std::to_string(rank_) + " of " + std::to_string(size_) + " on " + host_ +
                              ", " + std::to_string(threads_) + " worker threads, memory limit " +
                              format_size(memory::Budget::instance().limit()));
    }
  }

  ~RuntimeState() {
    if (network_) network_->depart();
    network_.reset();
    MPI_Comm_free(&comm_);
    if (owns_mpi_) {
      int finalised = 0;
      MPI_Finalized(&finalised);
      if (!finalised) MPI_Finalize();
    }
  }

  [[noreturn]] static void comm_fail(std::string message) { throw_error(ErrorKind::comm, std::move(message)); }

  // Open MPI binds each rank to one core when it starts two ranks or fewer,
  // and a rank's worker threads then share that core: W1 at one rank took
  // 4.5-7 s instead of 1.4 s. The pool's threads are ours, so they go on any
  // CPU of the process's cpuset instead; the main thread keeps its binding.
  // TESSERA_KEEP_BINDING=1 keeps the launcher's for all, with a warning.
  void spread_workers_beyond_binding() {
    cpu_set_t mask;
    CPU_ZERO(&mask);
    if (::sched_getaffinity(0, sizeof mask, &mask) != 0) return;
    const int bound = CPU_COUNT(&mask);
    worker_cpus_ = static_cast<unsigned>(std::max(bound, 0));
    if (bound <= 0 || static_cast<unsigned>(bound) >= threads_) return;
    const char* keep = std::getenv("TESSERA_KEEP_BINDING");
    if (!(keep && *keep && std::string_view(keep) != "0")) {
      const unsigned spread = schedule::spread_pool_threads();
      if (spread > static_cast<unsigned>(bound)) {
        worker_cpus_ = spread;
        if (rank_ == 0 && log_enabled(LogLevel::info)) {
          log(LogLevel::info, "rank 0 is bound to " + std::to_string(bound) + (bound == 1 ? " CPU" : " CPUs") +
                                  ", fewer than its " + std::to_string(threads_) +
                                  " worker threads: the workers besides the main thread run on any of " +
                                  std::to_string(spread) + " CPUs (TESSERA_KEEP_BINDING=1 keeps the binding)");
        }
        return;
      }
    }
    if (rank_ != 0) return;
    log(LogLevel::warn, "rank 0 runs " + std::to_string(threads_) + " worker threads but is bound to " +
                            std::to_string(bound) + (bound == 1 ? " CPU" : " CPUs") +
                            ", so they share it (Open MPI binds each rank to one core when it starts two or fewer): "
                            "run with `mpiexec --bind-to none`, `--map-by slot:PE=" + std::to_string(threads_) +
                            "`, or under Slurm `srun --cpus-per-task=" + std::to_string(threads_) + "`");
  }

  std::int64_t allreduce(std::int64_t value, MPI_Op op) const {
    std::int64_t out = 0;
    check_mpi(MPI_Allreduce(&value, &out, 1, MPI_INT64_T, op, comm_), "MPI_Allreduce");
    return out;
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  unsigned threads_ = 1;
  unsigned worker_cpus_ = 0;
  bool owns_mpi_ = false;
  std::string host_;
  std::unique_ptr<MpiNetwork> network_;
};

}  // namespace tessera::comm

namespace tessera {
namespace {
std::atomic<Runtime*> active_runtime{nullptr};
std::atomic<MPI_Comm> active_comm{MPI_COMM_NULL};

void activate(Runtime* runtime, comm::RuntimeState& state) {
  Runtime* expected = nullptr;
  if (!active_runtime.compare_exchange_strong(expected, runtime)) {
    comm::RuntimeState::comm_fail("a tessera::Runtime is already active in this process; create one only");
  }
  schedule::set_current_network(state.network_.get());
  active_comm.store(state.comm_);
}
}  // namespace

Runtime::Runtime() {
  int argc = 0;
  char** argv = nullptr;
  state_ = std::make_unique<comm::RuntimeState>(MPI_COMM_WORLD, true, &argc, &argv, RuntimeOptions{});
  activate(this, *state_);
}

Runtime::Runtime(int& argc, char**& argv, RuntimeOptions options)
    : state_(std::make_unique<comm::RuntimeState>(MPI_COMM_WORLD, true, &argc, &argv, options)) {
  activate(this, *state_);
}

Runtime::Runtime(const NativeComm& comm, RuntimeOptions options)
    : state_(std::make_unique<comm::RuntimeState>(comm.comm, false, nullptr, nullptr, options)) {
  activate(this, *state_);
}

Runtime::~Runtime() {
  schedule::run_shutdown_hooks();  // background users of MPI stop first
  schedule::set_current_network(nullptr);
  active_comm.store(MPI_COMM_NULL);
  active_runtime.store(nullptr);
}

int Runtime::rank() const { return state_->rank_; }

namespace comm {
MPI_Comm runtime_comm() noexcept { return active_comm.load(); }
}  // namespace comm
int Runtime::size() const { return state_->size_; }
unsigned Runtime::threads() const { return state_->threads_; }
unsigned Runtime::worker_cpus() const { return state_->worker_cpus_; }
std::string Runtime::host() const { return state_->host_; }
void Runtime::barrier() const { comm::check_mpi(MPI_Barrier(state_->comm_), "MPI_Barrier"); }
std::int64_t Runtime::max_over_ranks(std::int64_t value) const { return state_->allreduce(value, MPI_MAX); }
std::int64_t Runtime::sum_over_ranks(std::int64_t value) const { return state_->allreduce(value, MPI_SUM); }
Runtime* Runtime::current() { return active_runtime.load(); }

std::string Runtime::broadcast(const std::string& text, int root) const {
  std::uint64_t size = text.size();
  comm::check_mpi(MPI_Bcast(&size, 1, MPI_UINT64_T, root, state_->comm_), "MPI_Bcast", root);
  std::string out = rank() == root ? text : std::string(size, '\0');
  comm::check_mpi(MPI_Bcast(out.data(), static_cast<int>(size), MPI_CHAR, root, state_->comm_), "MPI_Bcast", root);
  return out;
}

std::vector<std::string> Runtime::all_gather(const std::string& text) const {
  int mine = static_cast<int>(text.size());
  std::vector<int> sizes(static_cast<std::size_t>(size())), offsets(sizes.size(), 0);
  comm::check_mpi(MPI_Allgather(&mine, 1, MPI_INT, sizes.data(), 1, MPI_INT, state_->comm_), "MPI_Allgather");
  for (std::size_t r = 1; r < sizes.size(); ++r) offsets[r] = offsets[r - 1] + sizes[r - 1];
  std::string all(static_cast<std::size_t>(offsets.back() + sizes.back()), '\0');
  comm::check_mpi(MPI_Allgatherv(text.data(), mine, MPI_CHAR, all.data(), sizes.data(), offsets.data(), MPI_CHAR,
                                 state_->comm_),
                  "MPI_Allgatherv");
  std::vector<std::string> out;
  for (std::size_t r = 0; r < sizes.size(); ++r) out.push_back(all.substr(offsets[r], sizes[r]));
  return out;
}

// Point to point, each message waited for with a deadline: a rank that
// never calls gather() (a Profile written on rank 0 only) is an error that
// names it, not a hang.
std::vector<std::string> Runtime::gather(const std::string& text, int root) const {
  constexpr int tag_gather = 7;  // the network's tags are 1-6 (mpi_network.cpp); gathers run between computes
  constexpr std::size_t piece = std::size_t{1} << 30;  // MPI counts are ints
  constexpr auto patience = std::chrono::seconds(300);
  MPI_Comm comm = state_->comm_;
  const auto deadline = std::chrono::steady_clock::now() + patience;
  auto wait = [&](MPI_Request& request, int peer) {
    for (int done = 0;;) {
      comm::check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test (gather)", peer);
      if (done) return;
      if (std::chrono::steady_clock::now() > deadline) {
        MPI_Cancel(&request);
        throw_error(ErrorKind::comm,
                    "rank " + std::to_string(rank()) + " waited 300 s for rank " + std::to_string(peer) +
                        " in a gather (the writing of a Profile's trace or report)",
                    "every rank must call Profile::write_trace/write_report, in the same order, not rank 0 only");
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  };
  if (rank() != root) {
    std::uint64_t size = text.size();
    MPI_Request request;
    comm::check_mpi(MPI_Issend(&size, 1, MPI_UINT64_T, root, tag_gather, comm, &request), "MPI_Issend (gather)", root);
    wait(request, root);
    for (std::size_t at = 0; at < text.size(); at += piece) {
      const int n = static_cast<int>(std::min(piece, text.size() - at));
      comm::check_mpi(MPI_Isend(text.data() + at, n, MPI_CHAR, root, tag_gather, comm, &request), "MPI_Isend (gather)",
                      root);
      wait(request, root);
    }
    return {};
  }
  std::vector<std::string> out(static_cast<std::size_t>(size()));
  out[static_cast<std::size_t>(root)] = text;
  for (int r = 0; r < size(); ++r) {
    if (r == root) continue;
    std::uint64_t size = 0;
    MPI_Request request;
    comm::check_mpi(MPI_Irecv(&size, 1, MPI_UINT64_T, r, tag_gather, comm, &request), "MPI_Irecv (gather)", r);
    wait(request, r);
    std::string& text_r = out[static_cast<std::size_t>(r)];
    text_r.resize(size);
    for (std::size_t at = 0; at < size; at += piece) {
      const int n = static_cast<int>(std::min<std::size_t>(piece, size - at));
      comm::check_mpi(MPI_Irecv(text_r.data() + at, n, MPI_CHAR, r, tag_gather, comm, &request), "MPI_Irecv (gather)", r);
      wait(request, r);
    }
  }
  return out;
}

}  // namespace tessera
