// BackgroundRunner: the same executors, on a pool of its own and, under MPI,
// a network of its own, so that a background thread's runs never share
// workers or messages with the calling thread's.
#include <tessera/compute.hpp>

#include "schedule/distributed_executor.hpp"
#include "schedule/executors.hpp"
#include "schedule/network.hpp"
#include "schedule/thread_pool.hpp"

namespace tessera {
namespace {

class Runner final : public BackgroundRunner {
 public:
  explicit Runner(std::unique_ptr<schedule::Network> network) : network_(std::move(network)) {}

  std::vector<PersistedResult> persist(const Graph& graph, std::span<const NodeId> outputs,
                                       const ComputeOptions& options) override {
    graph.validate_structure();
    if (network_ && network_->size() > 1 && options.scheduler != SchedulerKind::sync) {
      const unsigned threads = network_->threads_per_rank()[network_->rank()];
      return schedule::run_distributed(graph, outputs, options, *network_, /*persist=*/true, &pool(threads + 1));
    }
    const unsigned threads = options.threads ? options.threads : default_thread_count();
    return schedule::persist_here(graph, outputs, options, &pool(threads));
  }

  std::pair<std::uint64_t, bool> agree(std::uint64_t count, bool stop) override {
    if (!network_ || network_->size() == 1) return {count, stop};
    return network_->agree(count, stop);
  }

 private:
  schedule::ThreadPool& pool(unsigned workers) {
    if (!pool_ || pool_->size() != workers) pool_ = std::make_unique<schedule::ThreadPool>(workers);
    return *pool_;
  }

  std::unique_ptr<schedule::Network> network_;
  std::unique_ptr<schedule::ThreadPool> pool_;
};

}  // namespace

std::unique_ptr<BackgroundRunner> BackgroundRunner::create() {
  schedule::Network* main = schedule::current_network();
  if (!main || main->size() == 1) return std::make_unique<Runner>(nullptr);
  auto network = main->duplicate();
  if (!network) return nullptr;
  return std::make_unique<Runner>(std::move(network));
}

void at_shutdown(std::function<void()> hook) { schedule::add_shutdown_hook(std::move(hook)); }

}  // namespace tessera
