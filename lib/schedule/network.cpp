#include "schedule/network.hpp"

#include <atomic>

namespace tessera::schedule {
namespace {
std::atomic<Network*> active{nullptr};
}

Network* current_network() { return active.load(std::memory_order_acquire); }
void set_current_network(Network* network) { active.store(network, std::memory_order_release); }

}  // namespace tessera::schedule
