#include <tessera/checkpoint.hpp>
#include <tessera/compute.hpp>
#include <tessera/log.hpp>
#include <tessera/size.hpp>

#include "diagnostics/task_log.hpp"
#include "graph/crash_report.hpp"
#include "memory/budget.hpp"
#include "schedule/checkpoint.hpp"
#include "schedule/distributed_executor.hpp"
#include "schedule/executors.hpp"
#include "schedule/network.hpp"
#include "schedule/thread_pool.hpp"

#include <cstdlib>
#include <string>
#include <thread>

namespace tessera {

unsigned default_thread_count() {
  if (const char* env = std::getenv("TESSERA_THREADS"); env && *env) {
    char* end = nullptr;
    long n = std::strtol(env, &end, 10);
    if (*end != '\0' || n < 1 || n > 4096) {
      throw_error(ErrorKind::input, std::string("TESSERA_THREADS=") + env + " is not a thread count",
                  "set it to a whole number from 1 to 4096, or unset it");
    }
    return static_cast<unsigned>(n);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

namespace {

// The network to run on, or nullptr to run here: a single process, an
// explicit `sync`, or a task calling compute() (only its own rank runs it).
schedule::Network* distributed_network(const ComputeOptions& options) {
  schedule::Network* network = schedule::current_network();
  if (!network || network->size() == 1 || options.scheduler == SchedulerKind::sync ||
      schedule::ThreadPool::in_worker()) {
    return nullptr;
  }
  return network;
}

}  // namespace

namespace schedule {

namespace {

// Runs the graph here; `take(state)` gives what the caller gets of the outputs.
template <class Take>
auto run_here(const Graph& graph, std::span<const NodeId> outputs, const ComputeOptions& options, ThreadPool* pool,
              bool persist, Take take) {
  graph.validate_structure();
  graph::prepare_crash_reports();
  memory::Budget::instance().reset_peak();
  const diagnostics::RunScope recorded(graph);
  schedule::RunState state(graph, outputs, persist);
  const int rank = schedule::current_network() ? schedule::current_network()->rank() : 0;
  unsigned threads = options.threads ? options.threads : default_thread_count();
  try {
    const bool nested = schedule::ThreadPool::in_worker();  // a task's own compute: no display of its own
    schedule::ProgressDisplay progress(graph, state, nested ? ProgressMode::off : options.progress, rank);
    if (options.scheduler == SchedulerKind::sync || threads == 1 || nested) {
      threads = 1;
      schedule::run_sync(state);
    } else {
      schedule::run_threads(state, threads, pool);
    }
  } catch (const TaskError& e) {
    if (e.info().rank >= 0) throw;
    ErrorInfo info = e.info();
    info.rank = rank;
    throw_error(std::move(info));
  }
  if (log_enabled(LogLevel::info) && !schedule::ThreadPool::in_worker()) {
    ComputeStats here;
    state.fill_stats(here);
    log(LogLevel::info, std::string(persist ? "persist(): " : "compute(): ")
                            .append(std::to_string(here.tasks_run))
                            .append(" tasks on ")
                            .append(std::to_string(threads))
                            .append(threads == 1 ? " thread" : " threads")
                            .append(here.spilled_bytes ? ", spilled " + format_size(here.spilled_bytes) : std::string()));
  }
  if (options.stats) {
    state.fill_stats(*options.stats);
    const auto memory = memory::Budget::instance().status();
    options.stats->peak_memory_bytes = memory.peak_tracked_bytes;
    options.stats->memory_limit = memory.limit;
    options.stats->threads = threads;
    options.stats->rank = rank;
    options.stats->bytes_received = 0;
    options.stats->bytes_transferred_in = 0;
    options.stats->placement.clear();
    options.stats->completion_order.clear();
    if (options.record_schedule) {
      for (const auto& node : graph.nodes()) {
        if (!node.is_data()) options.stats->placement.emplace_back(node.key, rank);
      }
      for (NodeId id : state.completion_order()) options.stats->completion_order.push_back(graph.node(id).key);
    }
  }
  return take(state);
}

}  // namespace

std::vector<Value> compute_here(const Graph& graph, std::span<const NodeId> outputs, const ComputeOptions& options,
                                ThreadPool* pool) {
  return run_here(graph, outputs, options, pool, /*persist=*/false,
                  [](schedule::RunState& state) { return state.take_outputs(); });
}

// The outputs stay as the run held them: PersistedValues, spilled or not.
std::vector<PersistedResult> persist_here(const Graph& graph, std::span<const NodeId> outputs,
                                          const ComputeOptions& options, ThreadPool* pool) {
  return run_here(graph, outputs, options, pool, /*persist=*/true, [](schedule::RunState& state) {
    auto values = state.take_persisted();
    std::vector<PersistedResult> results(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      results[i].nbytes = values[i].nbytes();
      results[i].value = std::move(values[i]);
      results[i].holder = -1;  // computed on every rank that ran it: held everywhere
    }
    return results;
  });
}

}  // namespace schedule

std::vector<Value> compute_nodes(const Graph& graph, std::span<const NodeId> outputs,
                                 const ComputeOptions& options) {
  if (auto* network = distributed_network(options)) {
    graph.validate_structure();
    return schedule::run_distributed(graph, outputs, options, *network, /*persist=*/false).values;
  }
  return schedule::compute_here(graph, outputs, options, nullptr);
}

std::vector<PersistedResult> persist_nodes(const Graph& graph, std::span<const NodeId> outputs,
                                           const ComputeOptions& options) {
  auto* network = distributed_network(options);
  auto persist = [&](const Graph& run, std::span<const NodeId> ids) {
    if (!network) return schedule::persist_here(run, ids, options, nullptr);
    run.validate_structure();
    return schedule::run_distributed(run, ids, options, *network, /*persist=*/true).persisted;
  };
  const std::string checkpoint_dir = options.checkpoint_dir ? *options.checkpoint_dir : default_checkpoint_dir();
  if (checkpoint_dir.empty() || schedule::ThreadPool::in_worker()) return persist(graph, outputs);
  graph.validate_structure();
  auto checkpointed = schedule::plan_checkpoint(graph, outputs, checkpoint_dir, network);
  auto persisted = persist(checkpointed.graph, checkpointed.outputs);
  checkpointed.writer->sync();  // on the disk before persist() returns
  return persisted;
}

std::vector<Value> compute(const Graph& graph, std::span<const Key> outputs, const ComputeOptions& options) {
  graph.validate();
  Graph culled, fused;
  const Graph* run = &graph;
  if (options.cull) {
    culled = cull(*run, outputs);
    run = &culled;
  }
  if (options.fuse) {
    fused = fuse_linear(*run, outputs);
    run = &fused;
  }
  std::vector<NodeId> ids;
  ids.reserve(outputs.size());
  for (const Key& key : outputs) ids.push_back(run->find(key));
  return compute_nodes(*run, ids, options);
}

}  // namespace tessera
