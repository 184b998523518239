#pragma once
// One rank's side of the exchanges (include/tessera/exchange.hpp) of a
// distributed run: the collective stage of a shuffle (DESIGN.md §5).
//
// A sender task's Shards are not stored as its result: the worker that ran
// it routes them at once, the pieces of this rank's parts into the local
// inbox and the others, grouped by destination, to a queue the progress
// thread sends from (data messages named by the sender's node, straight to
// the rank that owns the parts; never through rank 0). Waiting pieces are
// PersistedValues: counted against the budget and spilled, on both sides.
// Rank 0 assigns the exchange node to every rank once all its senders are
// done; each rank then tells every other rank how many pieces it sent it
// (ExchangeEnd, queued behind those pieces), and the exchange is done on a
// rank when every rank's pieces have arrived. Its value there is the inbox.
#include <tessera/exchange.hpp>
#include <tessera/graph.hpp>
#include <tessera/persisted.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

namespace tessera::schedule {

class ExchangeRouter {
 public:
  ExchangeRouter(const Graph& graph, int me, int ranks);

  bool is_exchange(NodeId node) const { return graph_.node(node).exchange_parts > 0; }
  /// Whether `task`'s result goes into an exchange instead of the result store.
  bool is_sender(NodeId task) const { return !sender_index_.empty() && sender_index_[task] >= 0; }

  /// Worker threads: routes sender `task`'s Shards.
  void route(NodeId task, const Value& shards);

  /// What the progress thread sends next: a piece (data), or an end marker.
  struct Outgoing {
    int dest = 0;
    NodeId sender = 0;           // a piece: the sender it came from
    PersistedValue piece;        // a piece: Shards for `dest`'s parts
    NodeId exchange = 0;         // an end marker (no piece): its exchange
    std::uint64_t pieces = 0;    // an end marker: pieces sent to `dest`
  };
  /// The next thing to send, if any and if `fits(nbytes)` allows a piece.
  template <class Fits>
  std::optional<Outgoing> next_outgoing(Fits&& fits) {
    std::lock_guard lock(mutex_);
    if (outgoing_.empty()) return std::nullopt;
    Outgoing& front = outgoing_.front();
    if (front.piece && !fits(front.piece.nbytes())) return std::nullopt;
    Outgoing out = std::move(front);
    outgoing_.pop_front();
    if (out.piece) ++sent_[out.dest][graph_exchange(out.sender)];
    else out.pieces = sent_[out.dest][out.exchange];
    return out;
  }

  /// Progress thread: a piece from `source`, sent by `sender`.
  void received(int source, NodeId sender, const Value& shards);
  /// Progress thread: rank 0 assigned `exchange` here: its senders are all
  /// done, so end markers follow this rank's pieces to every other rank.
  void close(NodeId exchange);
  /// Progress thread: rank `source` sent all its pieces (`pieces` of them).
  void ended(int source, NodeId exchange, std::uint64_t pieces);
  /// One rank (a run in one process): the exchange's inbox, its senders all routed.
  Value finish_here(NodeId exchange);
  /// Progress thread: exchanges complete on this rank since the last call, with their inbox.
  std::vector<std::pair<NodeId, Value>> take_complete();

 private:
  struct State {
    ExchangeInboxPtr inbox;
    bool closed = false;
    bool reported = false;
    std::vector<std::uint64_t> received, expected;  // per source rank; expected ~0: no marker yet
  };
  State& state(NodeId exchange);  // with mutex_ held
  NodeId graph_exchange(NodeId sender) const { return exchange_of_[sender]; }

  const Graph& graph_;
  const int me_, ranks_;
  std::vector<std::int64_t> sender_index_;  // per node: its position among its exchange's senders, or -1
  std::vector<NodeId> exchange_of_;         // per sender: its exchange
  std::mutex mutex_;
  std::map<NodeId, State> states_;
  std::deque<Outgoing> outgoing_;
  std::vector<std::map<NodeId, std::uint64_t>> sent_;  // per destination: pieces sent per exchange
};

}  // namespace tessera::schedule
