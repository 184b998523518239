// Messages between threads.
//
// Each rank has a mailbox (a deque under a mutex) that every rank may put
// into and only its owner takes from; one deque per destination keeps the
// messages of a pair of ranks in send order. Every message carries the
// sender's run epoch, as on MPI: what is left of an earlier run is dropped.
// Collective calls meet at a Rendezvous, where every rank leaves one
// contribution and takes all of them.
#include "schedule/loopback_network.hpp"

#include "graph/value_bytes.hpp"

#include "graph/derived.hpp"

#include <algorithm>
#include <any>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>

namespace tessera::schedule {
namespace {

// An all-gather for any copyable contribution.
class Rendezvous {
 public:
  explicit Rendezvous(int ranks) : slots_(static_cast<std::size_t>(ranks)) {}

  template <class T>
  std::vector<T> all_gather(int rank, T mine) {
    auto all = exchange(rank, std::any(std::move(mine)));
    std::vector<T> out;
    out.reserve(all->size());
    for (const auto& a : *all) out.push_back(std::any_cast<const T&>(a));
    return out;
  }

  void barrier(int rank) { exchange(rank, std::any()); }

 private:
  // The result of a round stays readable until every rank has taken it: the
  // next round cannot complete before the slowest rank of this one arrives.
  std::shared_ptr<const std::vector<std::any>> exchange(int rank, std::any mine) {
    std::unique_lock lock(mutex_);
    slots_[static_cast<std::size_t>(rank)] = std::move(mine);
    const std::uint64_t round = round_;
    if (++arrived_ == slots_.size()) {
      result_ = std::make_shared<const std::vector<std::any>>(std::exchange(slots_, std::vector<std::any>(slots_.size())));
      arrived_ = 0;
      ++round_;
      all_arrived_.notify_all();
      return result_;
    }
    all_arrived_.wait(lock, [&] { return round_ != round; });
    return result_;
  }

  std::mutex mutex_;
  std::condition_variable all_arrived_;
  std::vector<std::any> slots_;
  std::size_t arrived_ = 0;
  std::uint64_t round_ = 0;
  std::shared_ptr<const std::vector<std::any>> result_;
};

struct Envelope {
  std::uint32_t epoch;
  Message message;
};

struct Mailbox {
  std::mutex mutex;
  std::deque<Envelope> messages;
};

// What the ranks of one "communicator" share.
struct Fabric {
  Fabric(int ranks, std::vector<unsigned> threads)
      : threads_per_rank(std::move(threads)), mailboxes(static_cast<std::size_t>(ranks)), rendezvous(ranks) {}
  const std::vector<unsigned> threads_per_rank;
  std::vector<Mailbox> mailboxes;
  Rendezvous rendezvous;
};

[[noreturn]] void comm_error(std::string message, std::string hint = {}) {
  throw_error(ErrorKind::comm, std::move(message), std::move(hint));
}

// The bytes MPI would carry for `value`: its buffer when contiguous, else its encoding.
std::uint64_t wire_bytes(const Value& value) {
  std::vector<std::byte> encoded;
  return detail::value_bytes(*value.holder(), encoded).size();
}

class LoopbackNetwork final : public Network {
 public:
  LoopbackNetwork(std::shared_ptr<Fabric> fabric, int rank) : fabric_(std::move(fabric)), rank_(rank) {}

  int rank() const override { return rank_; }
  int size() const override { return static_cast<int>(fabric_->mailboxes.size()); }
  const std::vector<unsigned>& threads_per_rank() const override { return fabric_->threads_per_rank; }

  void check_same_graph(const Graph& graph, const char*) override {
    const auto tokens = graph::node_tokens_of(graph);
    const auto all = fabric_->rendezvous.all_gather(rank_, tokens);
    const std::uint64_t fingerprint = Graph::fingerprint(*tokens);
    const bool same = std::all_of(all.begin(), all.end(), [&](const auto& theirs) {
      return theirs->size() == tokens->size() && Graph::fingerprint(*theirs) == fingerprint;
    });
    if (same) return;
    // As on MPI: the first task that differs from rank 0's, the lowest rank on a tie.
    const auto& reference = *all[0];
    std::size_t index = std::numeric_limits<std::size_t>::max();
    int other = 0;
    for (int r = 1; r < size(); ++r) {
      const auto& theirs = *all[static_cast<std::size_t>(r)];
      const std::size_t common = std::min(reference.size(), theirs.size());
      std::size_t first = std::mismatch(reference.begin(), reference.begin() + common, theirs.begin()).first -
                          reference.begin();
      if (first == common && reference.size() == theirs.size()) continue;
      if (first < index) {
        index = first;
        other = r;
      }
    }
    // Only each rank knows its own keys: they meet too.
    const auto keys = fabric_->rendezvous.all_gather(rank_, describe_task_at(graph, index));
    throw_graph_mismatch(index, keys[0], keys[static_cast<std::size_t>(other)], other);
  }

  std::string broadcast_text(const std::string& text, int root, const char*) override {
    return fabric_->rendezvous.all_gather(rank_, text)[static_cast<std::size_t>(root)];
  }

  void begin_run() override {
    ++epoch_;
    draining_ = false;
  }

  void end_run(bool clean) override {
    draining_ = true;  // sends complete at once: nothing of ours is in flight
    if (clean) return;
    // Every rank has stopped sending for this run once all are here.
    fabric_->rendezvous.barrier(rank_);
    Message dropped;
    while (poll(dropped)) {
    }
  }

  void broadcast_outputs(std::span<Value> values, std::span<const int> holders, std::span<const Key> keys) override {
    std::vector<Value> mine(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (holders[i] == rank_) mine[i] = values[i];
    }
    const auto all = fabric_->rendezvous.all_gather(rank_, std::move(mine));
    // Root by root, as MPI goes: every rank fails at the same output.
    for (int root = 0; root < size(); ++root) {
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (holders[i] != root) continue;
        const Value& value = all[static_cast<std::size_t>(root)][i];
        if (!value.holder()->codec().travels) {
          comm_error("the output " + keys[i].str() + " (on rank " + std::to_string(root) +
                         ") has a type that cannot travel between ranks, so compute() cannot return it on every rank",
                     "specialise tessera::Transport<T> for it, or persist() it instead");
        }
        if (root == rank_) continue;
        bytes_received_.fetch_add(wire_bytes(value), std::memory_order_relaxed);
        values[i] = value;
      }
    }
  }

  void send_control(int dest, MessageKind kind, std::vector<std::byte> body) override {
    Message m;
    m.source = rank_;
    m.kind = kind;
    m.body = std::move(body);
    deliver(dest, std::move(m));
  }

  void send_value(int dest, NodeId node, const Value& value, const Key& key) override {
    if (dest != rank_ && !value.holder()->codec().travels) {
      comm_error("the result of task " + key.str() + " has type " + value.type_name() +
                     ", which cannot travel between ranks",
                 "specialise tessera::Transport<T> for it (see <tessera/transport.hpp>)");
    }
    Message m;
    m.source = rank_;
    m.kind = MessageKind::data;
    m.node = node;
    m.value = value;
    deliver(dest, std::move(m));
  }

  // Skips messages of a later run (a rank already past the next collective
  // entry), drops those of an earlier one, and everything while draining.
  bool poll(Message& out) override {
    auto& box = fabric_->mailboxes[static_cast<std::size_t>(rank_)];
    std::unique_lock lock(box.mutex);
    for (auto it = box.messages.begin(); it != box.messages.end();) {
      if (it->epoch > epoch_) {
        ++it;
        continue;
      }
      if (it->epoch < epoch_ || draining_) {
        it = box.messages.erase(it);
        continue;
      }
      out = std::move(it->message);
      box.messages.erase(it);
      lock.unlock();
      if (out.kind == MessageKind::data && out.source != rank_) {
        out.wire_bytes = wire_bytes(out.value);
        bytes_received_.fetch_add(out.wire_bytes, std::memory_order_relaxed);
      }
      return true;
    }
    return false;
  }

  std::uint64_t value_bytes_received() const override { return bytes_received_.load(std::memory_order_relaxed); }

  std::unique_ptr<Network> duplicate() override {
    std::shared_ptr<Fabric> fresh;
    if (rank_ == 0) fresh = std::make_shared<Fabric>(size(), fabric_->threads_per_rank);
    const auto all = fabric_->rendezvous.all_gather(rank_, fresh);
    return std::make_unique<LoopbackNetwork>(all[0], rank_);
  }

  bool multithreaded() const override { return true; }

 private:
  void deliver(int dest, Message message) {
    auto& box = fabric_->mailboxes[static_cast<std::size_t>(dest)];
    std::lock_guard lock(box.mutex);
    box.messages.push_back({epoch_, std::move(message)});
  }

  std::shared_ptr<Fabric> fabric_;
  const int rank_;
  std::uint32_t epoch_ = 0;
  bool draining_ = false;
  std::atomic<std::uint64_t> bytes_received_{0};
};

}  // namespace

LoopbackCluster::LoopbackCluster(int ranks, unsigned threads_per_rank) {
  auto fabric = std::make_shared<Fabric>(ranks, std::vector<unsigned>(static_cast<std::size_t>(ranks), threads_per_rank));
  for (int r = 0; r < ranks; ++r) networks_.push_back(std::make_unique<LoopbackNetwork>(fabric, r));
}

LoopbackCluster::~LoopbackCluster() = default;

}  // namespace tessera::schedule
