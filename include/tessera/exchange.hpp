#pragma once
/// Exchange: the collective stage of a shuffle (DESIGN.md §5), for collections.
///
///     // Each sender task returns the pieces of its input for each output part.
///     tessera::Shards s;
///     s.add(3, tessera::Value::of(rows_for_part_3));
///     // One exchange node regroups every sender's pieces by part ...
///     NodeId ex = graph.add_exchange(tessera::Key("shuffle"), senders, /*parts=*/8);
///     // ... and a reader of part j takes its pieces, in sender order.
///     graph.reads_exchange_part(reader_j, j);   // reader_j depends on ex
///     std::vector<tessera::Value> pieces = inputs[0]->get<tessera::ExchangeInbox>().take(j);
///
/// A shuffle is then senders + one exchange + readers, not senders x readers
/// tasks. What the exchange means is plain: its value is every sender's
/// pieces grouped by part, and any scheduler may run it so. The distributed
/// scheduler runs it as one collective stage: each sender's pieces go
/// straight from the rank that made them to the rank that owns their part
/// (part j lives on rank j * ranks / parts, where its reader runs), counted
/// against the budget and spilled there while they wait; nothing is relayed
/// through rank 0.
#include <tessera/value.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace tessera {

/// What a sender gives an exchange: (part, piece) pairs. A piece is any
/// value that travels (a Table, a vector of numbers).
struct Shards {
  std::vector<std::int64_t> parts;
  std::vector<Value> pieces;
  void add(std::int64_t part, Value piece) {
    parts.push_back(part);
    pieces.push_back(std::move(piece));
  }
  std::size_t nbytes() const;
};

/// The rank that owns part `part` of `parts` among `ranks` (Dask's P2P rule:
/// neighbouring parts share a rank, and every rank gets as many as another, +-1).
inline int exchange_owner(std::int64_t part, std::int64_t parts, int ranks) {
  return static_cast<int>(part * ranks / parts);
}

/// An exchange's value on one rank: the pieces of the parts it owns.
/// Pieces count against the rank's memory budget and spill while they wait.
class ExchangeInbox {
 public:
  explicit ExchangeInbox(std::int64_t parts) : parts_(static_cast<std::size_t>(parts)) {}
  ExchangeInbox(const ExchangeInbox&) = delete;
  ExchangeInbox& operator=(const ExchangeInbox&) = delete;

  /// Adds `shards`' pieces as sent by sender number `sender` (any thread).
  void add(std::int64_t sender, const Shards& shards);
  /// Part `part`'s pieces in sender order, handed over (a part is read once).
  std::vector<Value> take(std::int64_t part) const;
  std::int64_t parts() const { return static_cast<std::int64_t>(parts_.size()); }

 private:
  struct Piece;
  mutable std::mutex mutex_;
  mutable std::vector<std::vector<std::shared_ptr<Piece>>> parts_;
};

/// The value of an exchange node: a shared inbox (the same handle on every
/// task that reads it on this rank).
using ExchangeInboxPtr = std::shared_ptr<ExchangeInbox>;

}  // namespace tessera

template <>
struct tessera::Transport<tessera::Shards> {
  static void encode(const tessera::Shards& s, ByteWriter& out);
  static tessera::Shards decode(ByteReader& in);
};
