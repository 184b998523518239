#include "schedule/exchange_router.hpp"

#include <tessera/error.hpp>

#include <limits>
#include <string>

namespace tessera::schedule {
namespace {
constexpr std::uint64_t no_marker = std::numeric_limits<std::uint64_t>::max();
}

ExchangeRouter::ExchangeRouter(const Graph& graph, int me, int ranks)
    : graph_(graph), me_(me), ranks_(ranks), sent_(static_cast<std::size_t>(ranks)) {
  for (NodeId id = 0; id < graph.size(); ++id) {
    if (graph.node(id).exchange_parts <= 0) continue;
    if (sender_index_.empty()) {
      sender_index_.assign(graph.size(), -1);
      exchange_of_.assign(graph.size(), 0);
    }
    const auto senders = graph.deps(id);
    for (std::size_t s = 0; s < senders.size(); ++s) {
      sender_index_[senders[s]] = static_cast<std::int64_t>(s);
      exchange_of_[senders[s]] = id;
    }
  }
}

ExchangeRouter::State& ExchangeRouter::state(NodeId exchange) {
  auto [it, added] = states_.try_emplace(exchange);
  if (added) {
    it->second.inbox = std::make_shared<ExchangeInbox>(graph_.node(exchange).exchange_parts);
    it->second.received.assign(static_cast<std::size_t>(ranks_), 0);
    it->second.expected.assign(static_cast<std::size_t>(ranks_), no_marker);
    it->second.expected[static_cast<std::size_t>(me_)] = 0;  // this rank's own pieces go straight in
  }
  return it->second;
}

void ExchangeRouter::route(NodeId task, const Value& value) {
  const Shards& shards = value.get<Shards>();
  const NodeId exchange = exchange_of_[task];
  const std::int64_t parts = graph_.node(exchange).exchange_parts;
  std::vector<Shards> by_rank(static_cast<std::size_t>(ranks_));
  for (std::size_t i = 0; i < shards.parts.size(); ++i) {
    const std::int64_t part = shards.parts[i];
    if (part < 0 || part >= parts) {
      throw InputError("task " + graph_.node(task).key.str() + " sent a piece to part " + std::to_string(part) +
                       " of an exchange of " + std::to_string(parts) + " parts");
    }
    by_rank[static_cast<std::size_t>(exchange_owner(part, parts, ranks_))].add(part, shards.pieces[i]);
  }
  ExchangeInboxPtr inbox;
  {
    std::lock_guard lock(mutex_);
    inbox = state(exchange).inbox;
  }
  inbox->add(sender_index_[task], by_rank[static_cast<std::size_t>(me_)]);
  std::vector<Outgoing> out;
  for (int r = 0; r < ranks_; ++r) {
    Shards& mine = by_rank[static_cast<std::size_t>(r)];
    if (r == me_ || mine.parts.empty()) continue;
    Outgoing o;
    o.dest = r;
    o.sender = task;
    o.piece = PersistedValue(Value::of(std::move(mine)), graph_.node(task).key.str());
    out.push_back(std::move(o));
  }
  std::lock_guard lock(mutex_);
  for (auto& o : out) outgoing_.push_back(std::move(o));
}

void ExchangeRouter::received(int source, NodeId sender, const Value& shards) {
  const NodeId exchange = exchange_of_[sender];
  ExchangeInboxPtr inbox;
  {
    std::lock_guard lock(mutex_);
    State& st = state(exchange);
    ++st.received[static_cast<std::size_t>(source)];
    inbox = st.inbox;
  }
  inbox->add(sender_index_[sender], shards.get<Shards>());
}

void ExchangeRouter::close(NodeId exchange) {
  std::lock_guard lock(mutex_);
  state(exchange).closed = true;
  for (int r = 0; r < ranks_; ++r) {
    if (r == me_) continue;
    Outgoing marker;
    marker.dest = r;
    marker.exchange = exchange;
    outgoing_.push_back(std::move(marker));
  }
}

void ExchangeRouter::ended(int source, NodeId exchange, std::uint64_t pieces) {
  std::lock_guard lock(mutex_);
  state(exchange).expected[static_cast<std::size_t>(source)] = pieces;
}

Value ExchangeRouter::finish_here(NodeId exchange) {
  std::lock_guard lock(mutex_);
  State& st = state(exchange);
  st.closed = st.reported = true;
  return Value::of(std::move(st.inbox));
}

std::vector<std::pair<NodeId, Value>> ExchangeRouter::take_complete() {
  std::vector<std::pair<NodeId, Value>> done;
  std::lock_guard lock(mutex_);
  for (auto& [exchange, st] : states_) {
    if (!st.closed || st.reported) continue;
    bool all = true;
    for (int r = 0; r < ranks_ && all; ++r) all = st.received[static_cast<std::size_t>(r)] == st.expected[static_cast<std::size_t>(r)];
    if (!all) continue;
    st.reported = true;
    done.emplace_back(exchange, Value::of(std::move(st.inbox)));  // the run's result store holds it from now on
  }
  return done;
}

}  // namespace tessera::schedule
