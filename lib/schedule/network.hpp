#pragma once
// What the distributed scheduler needs from the transport, and nothing more.
// lib/comm implements it on MPI; the scheduler never sees MPI. All calls are
// made from one thread per rank (the run's progress thread).
#include <tessera/error.hpp>
#include <tessera/graph.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <span>
#include <string>
#include <vector>

namespace tessera::schedule {

enum class MessageKind : std::uint8_t {
  assign = 1,  // rank 0 -> r: tasks to run
  done,        // r -> rank 0: tasks finished, with their result sizes
  push,        // rank 0 -> holder: send these results to these ranks
  release,     // rank 0 -> holder: nobody needs these results any more
  error,       // r -> rank 0: a task failed
  abort,       // rank 0 -> all: stop, and throw this error
  finish,      // rank 0 -> all: every task is done; where the outputs are
  data,        // holder -> r: a result (Message::value)
  // The futures service (future_service.cpp) also uses assign, done, push,
  // release (free these results), abort, finish (the service ends) and data.
  added,       // r -> rank 0: how many entries this rank has added
  completed,   // rank 0 -> all: entries done, in completion order, with their holders
  dropped,     // r -> rank 0: this rank dropped its handles to these entries
  fetch,       // r -> holder: send me these results
  stopping,    // r -> rank 0: this rank's program is shutting down
  cancel,      // r -> rank 0: cancel these entries if they have not started
  exchange_end,  // r -> every rank: r has sent all its pieces of an exchange (ExchangeEnd)
};

struct Message {
  int source = -1;
  MessageKind kind = MessageKind::assign;
  std::vector<std::byte> body;  // control messages
  NodeId node = 0;              // data messages: whose result
  Value value;                  // data messages: the result
  std::uint64_t wire_bytes = 0; // data messages from another rank: the bytes that travelled
};

class Network {
 public:
  virtual ~Network() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Worker threads of each rank (the same table on every rank).
  virtual const std::vector<unsigned>& threads_per_rank() const = 0;

  // Collective: every rank calls these, in the same order.
  /// The entry of every compute()/persist() (`call` names it in messages).
  /// Throws GraphMismatch on every rank when the ranks built different
  /// graphs, naming the first task that differs and a rank where it does.
  /// A rank kept waiting here by ranks that do not arrive says so
  /// (TESSERA_COLLECTIVE_WARN) and may end the job (TESSERA_COLLECTIVE_TIMEOUT).
  virtual void check_same_graph(const Graph& graph, const char* call) = 0;
  /// `text` from `root`, on every rank: an entry like check_same_graph (a
  /// rank that does not arrive is named, not waited for in silence).
  virtual std::string broadcast_text(const std::string& text, int root, const char* call) = 0;
  /// Starts a run: messages of earlier runs still in flight are dropped from now on.
  virtual void begin_run() = 0;
  /// Ends a run: completes this rank's sends. After a failed run (`clean`
  /// false on every rank) it also drops what still arrives and returns only
  /// when every rank has done the same. A clean run needs no such barrier:
  /// every result sent was received by the task that needed it before the
  /// run could finish, and control messages are delivered in order.
  virtual void end_run(bool clean) = 0;
  /// Every output on every rank: values[i] is set on holders[i] (empty
  /// elsewhere) and on every rank after the call. Small values travel packed
  /// together, one broadcast per holder; large ones on their own.
  virtual void broadcast_outputs(std::span<Value> values, std::span<const int> holders,
                                 std::span<const Key> keys) = 0;

  // Point to point, non-blocking.
  virtual void send_control(int dest, MessageKind kind, std::vector<std::byte> body) = 0;
  /// Raw bytes for contiguous values (no copy), Transport encoding otherwise.
  /// Throws Error naming the type and key when the type cannot travel.
  virtual void send_value(int dest, NodeId node, const Value& value, const Key& key) = 0;
  /// Moves sends and receives along; true with the next complete incoming message.
  virtual bool poll(Message& out) = 0;
  /// Result bytes this rank is sending now (held until the send completes).
  virtual std::uint64_t value_bytes_in_flight() const { return 0; }
  /// Result bytes received from other ranks since the runtime started.
  virtual std::uint64_t value_bytes_received() const = 0;

  /// Collective: a second network on a private duplicate of the
  /// communicator, for the futures service, so that its messages never meet
  /// a compute()'s.
  virtual std::unique_ptr<Network> duplicate() = 0;
  /// Whether another thread may use a duplicate while this one is in use
  /// (MPI initialised with MPI_THREAD_MULTIPLE).
  virtual bool multithreaded() const { return true; }
};

/// How a rank names task #`index` of its graph in a GraphMismatch.
std::string describe_task_at(const Graph& graph, std::size_t index);
/// The GraphMismatch every rank throws once the ranks agree on the first task
/// that differs (`index`) and on a rank other than 0 where it does.
[[noreturn]] void throw_graph_mismatch(std::size_t index, const std::string& on_zero, const std::string& on_other,
                                       int other_rank);

/// Called (in reverse order of registration) when the Runtime shuts down,
/// before MPI goes: background users of the network stop there.
void add_shutdown_hook(std::function<void()> hook);
void run_shutdown_hooks();

/// The network of the active Runtime, or nullptr (single process, no MPI).
Network* current_network();
void set_current_network(Network* network);

}  // namespace tessera::schedule
