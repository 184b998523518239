// Exchange nodes as plain graph semantics (include/tessera/exchange.hpp):
// the schedulers that run a whole graph in one process run an exchange as
// this function over every sender's Shards; the distributed scheduler routes
// the pieces instead, and builds each rank's inbox from what it received.
#include <tessera/exchange.hpp>
#include <tessera/graph.hpp>
#include <tessera/persisted.hpp>

#include <algorithm>
#include <cstring>
#include <string>

namespace tessera {

std::size_t Shards::nbytes() const {
  std::size_t n = parts.size() * sizeof(std::int64_t);
  for (const Value& v : pieces) n += v.nbytes();
  return n;
}

// A waiting piece is a PersistedValue: counted against the budget, spilled
// when the rank holds more than its target, read back when its part is taken.
struct ExchangeInbox::Piece {
  std::int64_t sender;
  std::size_t order;  // within its sender
  PersistedValue value;
};

void ExchangeInbox::add(std::int64_t sender, const Shards& shards) {
  std::vector<std::pair<std::size_t, std::shared_ptr<Piece>>> made;
  made.reserve(shards.parts.size());
  for (std::size_t i = 0; i < shards.parts.size(); ++i) {
    const auto part = static_cast<std::size_t>(shards.parts[i]);
    if (part >= parts_.size()) {
      throw InputError("an exchange of " + std::to_string(parts_.size()) + " parts got a piece for part " +
                       std::to_string(shards.parts[i]));
    }
    made.emplace_back(part, std::make_shared<Piece>(Piece{sender, i, PersistedValue(shards.pieces[i], "exchange piece")}));
  }
  std::lock_guard lock(mutex_);
  for (auto& [part, piece] : made) parts_[part].push_back(std::move(piece));
}

std::vector<Value> ExchangeInbox::take(std::int64_t part) const {
  std::vector<std::shared_ptr<Piece>> pieces;
  {
    std::lock_guard lock(mutex_);
    pieces.swap(parts_.at(static_cast<std::size_t>(part)));
  }
  // Pieces arrive in any order; readers see them in sender order, so an
  // exchange keeps the order of rows that meet in one part (a stable sort).
  std::sort(pieces.begin(), pieces.end(), [](const auto& a, const auto& b) {
    return a->sender != b->sender ? a->sender < b->sender : a->order < b->order;
  });
  std::vector<Value> out;
  out.reserve(pieces.size());
  for (auto& p : pieces) {
    out.push_back(p->value.get());
    p.reset();  // frees the waiting copy (and its spill extent) as soon as the piece is out
  }
  return out;
}

NodeId Graph::add_exchange(Key key, std::span<const NodeId> senders, std::int64_t parts) {
  if (parts <= 0) throw InputError("an exchange needs at least one part, not " + std::to_string(parts));
  auto gather = [parts](TaskArgs args) {
    auto inbox = std::make_shared<ExchangeInbox>(parts);
    for (std::size_t s = 0; s < args.size(); ++s) inbox->add(static_cast<std::int64_t>(s), args[s]->get<Shards>());
    return Value::of(ExchangeInboxPtr(std::move(inbox)));
  };
  const NodeId id = add_resolved(std::move(key), TaskFunction(std::move(gather)), Value(), senders);
  nodes_[id].exchange_parts = parts;
  return id;
}

}  // namespace tessera

// Each piece: its type, its encoded length, its encoding, written in place
// (the length patched in after) and read back from the message in place.
void tessera::Transport<tessera::Shards>::encode(const Shards& s, ByteWriter& out) {
  out.put(s.parts);
  for (const Value& v : s.pieces) {
    const auto* holder = v.holder();
    if (!holder || !holder->codec().travels) {
      throw TypeError("a piece of type " + v.type_name() +
                      " cannot cross ranks in an exchange: give its type a tessera::Transport");
    }
    out.put(holder->codec().type_id);
    std::vector<std::byte>& bytes = out.bytes();
    const std::size_t length_at = bytes.size();
    out.put(std::uint64_t{0});
    holder->codec().encode(*holder, bytes);
    const std::uint64_t length = bytes.size() - length_at - sizeof(std::uint64_t);
    std::memcpy(bytes.data() + length_at, &length, sizeof length);
  }
}

tessera::Shards tessera::Transport<tessera::Shards>::decode(ByteReader& in) {
  Shards s;
  in.get(s.parts);
  s.pieces.reserve(s.parts.size());
  for (std::size_t i = 0; i < s.parts.size(); ++i) {
    const auto type_id = in.get<std::uint64_t>();
    const auto* codec = detail::find_codec(type_id);
    if (!codec || !codec->decode) throw InputError("an exchange piece of an unknown type arrived");
    const auto length = in.get<std::uint64_t>();
    s.pieces.push_back(Value::from_holder(codec->decode(in.take(static_cast<std::size_t>(length)))));
  }
  return s;
}
