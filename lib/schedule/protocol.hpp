#pragma once
// The control messages of a distributed compute() (distributed_executor.cpp):
// one struct per message body, its encode() and decode() side by side, so
// the sender and the receiver cannot disagree on the layout. `kind` is the
// MessageKind it travels as. Results themselves travel as data messages
// (Network::send_value), except small outputs, which ride inline in `done`
// and `finish` (inline_value.hpp).
#include "schedule/network.hpp"

#include <tessera/transport.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace tessera::schedule {

// Small outputs of a compute() ride along with the completion that made
// them and with `finish`, instead of a broadcast after the run: most
// computes return a scalar or a small summary.
constexpr std::size_t inline_value_bytes = 4096;

/// rank 0 -> r: tasks to run there.
struct AssignBatch {
  static constexpr MessageKind kind = MessageKind::assign;
  std::vector<NodeId> tasks;

  void encode(ByteWriter& out) const;
  void decode(ByteReader& in);
};

/// rank 0 -> holder: send each of these results to its rank.
struct PushBatch {
  static constexpr MessageKind kind = MessageKind::push;
  struct Push {
    NodeId node;
    int target;
  };
  std::vector<Push> pushes;

  void encode(ByteWriter& out) const;
  void decode(ByteReader& in);
};

/// rank 0 -> holder: nobody needs these results any more.
struct ReleaseBatch {
  static constexpr MessageKind kind = MessageKind::release;
  std::vector<NodeId> nodes;

  void encode(ByteWriter& out) const;
  void decode(ByteReader& in);
};

/// r -> rank 0: tasks finished, with their result sizes, and the sender's
/// memory for rank 0's progress display.
struct DoneBatch {
  static constexpr MessageKind kind = MessageKind::done;
  struct Done {
    NodeId node;
    std::uint64_t nbytes;
    // Sending: an output offered inline (sent only when small enough).
    // Received: the output when it came inline, else empty.
    Value output;
  };
  std::uint64_t tracked_bytes = 0, spilled_bytes = 0;
  std::vector<Done> tasks;
  std::uint64_t inline_bytes = 0;  // received: encoded bytes of the inline outputs

  void encode(ByteWriter& out) const;
  void decode(ByteReader& in);
};

/// r -> rank 0: a task failed (or this rank could not do what it was asked).
struct ErrorReport {
  static constexpr MessageKind kind = MessageKind::error;
  ErrorInfo error;

  void encode(ByteWriter& out) const { out.put(error); }
  void decode(ByteReader& in) { error = in.get<ErrorInfo>(); }
};

/// rank 0 -> all: stop, and throw this error.
struct Abort {
  static constexpr MessageKind kind = MessageKind::abort;
  ErrorInfo error;

  void encode(ByteWriter& out) const { out.put(error); }
  void decode(ByteReader& in) { error = in.get<ErrorInfo>(); }
};

/// rank 0 -> all: every task is done; where each output is, the small ones
/// inline, and, with record_schedule, where every task ran and in what order.
struct Finish {
  static constexpr MessageKind kind = MessageKind::finish;
  struct Output {
    int holder;  // a rank, or -1: everywhere
    std::uint64_t nbytes;
    // Sending: the value offered inline (sent only when small enough).
    // Received: the value when it came inline, else empty.
    Value value;
    std::uint64_t inline_bytes = 0;  // received: its encoded size
  };
  std::vector<Output> outputs;
  bool schedule_recorded = false;
  std::vector<int> placement;           // per node
  std::vector<NodeId> completed_order;  // tasks, as rank 0 saw them finish

  void encode(ByteWriter& out) const;
  void decode(ByteReader& in);
};

/// r -> d: r has sent d all its pieces of exchange `exchange`, `pieces`
/// data messages (which may arrive after this one: they travel apart).
struct ExchangeEnd {
  static constexpr MessageKind kind = MessageKind::exchange_end;
  NodeId exchange = 0;
  std::uint64_t pieces = 0;

  void encode(ByteWriter& out) const {
    out.put(exchange);
    out.put(pieces);
  }
  void decode(ByteReader& in) {
    exchange = in.get<NodeId>();
    pieces = in.get<std::uint64_t>();
  }
};

template <class M>
std::vector<std::byte> encode_body(const M& message) {
  std::vector<std::byte> body;
  ByteWriter out(body);
  message.encode(out);
  return body;
}

template <class M>
M decode_body(std::span<const std::byte> body) {
  M message;
  ByteReader in(body);
  message.decode(in);
  return message;
}

}  // namespace tessera::schedule
