#include <tessera/compute.hpp>

#include "schedule/executors.hpp"
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
      ErrorInfo info;
      info.kind = ErrorKind::input;
      info.message = std::string("TESSERA_THREADS=") + env + " is not a thread count";
      info.hint = "set it to a whole number from 1 to 4096, or unset it";
      throw_error(std::move(info));
    }
    return static_cast<unsigned>(n);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

std::vector<Value> compute_nodes(const Graph& graph, std::span<const NodeId> outputs,
                                 const ComputeOptions& options) {
  graph.validate_structure();
  schedule::RunState state(graph, outputs);
  unsigned threads = options.threads ? options.threads : default_thread_count();
  // A task that calls compute() runs its graph on its own thread: the pool is busy with the caller.
  if (options.scheduler == SchedulerKind::sync || threads == 1 || schedule::ThreadPool::in_worker()) {
    threads = 1;
    schedule::run_sync(state);
  } else {
    schedule::run_threads(state, threads);
  }
  if (options.stats) {
    state.fill_stats(*options.stats);
    options.stats->threads = threads;
  }
  return state.take_outputs();
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
