#pragma once
// The scheduler's Network on MPI: the only place messages meet MPI.
#include <tessera/buffer.hpp>
#include <tessera/memory.hpp>

#include "schedule/network.hpp"

#include <mpi.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tessera::comm {

/// Throws CommError naming the operation, the peer and MPI's own message.
void check_mpi(int rc, const char* operation, int peer = -1);

class MpiNetwork final : public schedule::Network {
 public:
  MpiNetwork(MPI_Comm comm, std::vector<unsigned> threads_per_rank);
  ~MpiNetwork() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  const std::vector<unsigned>& threads_per_rank() const override { return threads_; }

  void check_same_graph(const Graph& graph, const char* call) override;
  std::string broadcast_text(const std::string& text, int root, const char* call) override;
  /// Tells every other rank this one is leaving (its Runtime ends): a rank
  /// still waiting at a compute()/persist() entry then fails with a message
  /// instead of waiting forever (a compute() made on rank 0 only).
  void depart();
  void begin_run() override;
  void end_run(bool clean) override;
  void broadcast_outputs(std::span<Value> values, std::span<const int> holders, std::span<const Key> keys) override;

  void send_control(int dest, schedule::MessageKind kind, std::vector<std::byte> body) override;
  void send_value(int dest, NodeId node, const Value& value, const Key& key) override;
  bool poll(schedule::Message& out) override;
  std::uint64_t value_bytes_received() const override { return bytes_received_; }
  std::uint64_t value_bytes_in_flight() const override { return bytes_in_flight_; }
  std::unique_ptr<schedule::Network> duplicate() override;
  bool multithreaded() const override;

  /// Whether this network owns its communicator (a duplicate) and frees it.
  void own_communicator() { owns_comm_ = true; }

 private:
  struct DataHeader {
    std::uint32_t epoch;
    NodeId node;
    std::uint64_t type_id;
    std::uint8_t contiguous;
    std::uint64_t nbytes;
  };
  struct Send {
    std::vector<MPI_Request> requests;
    std::vector<std::byte> buffer;  // control bytes, a data header, or an encoded value
    std::vector<std::byte> header;
    Value keep;                     // a contiguous value being sent in place
    std::uint64_t value_bytes = 0;  // a result's body
    std::optional<TrackedAllocation> encoded;  // an encoded copy counts against the budget
  };
  struct Receive {  // a data body, arriving in pieces
    int source;
    DataHeader header;
    bool discard;
    std::size_t pieces_matched = 0;
    std::vector<MPI_Request> requests;
    Buffer bytes;                                         // encoded, or a discarded body (huge pages, reused)
    std::shared_ptr<detail::ValueHolderBase> holder;      // contiguous: received in place
    std::span<std::byte> target;
    std::optional<TrackedAllocation> counted;  // what is arriving counts against the budget
  };

  void progress_sends();
  bool match_bodies();
  bool finish_receive(schedule::Message& out);
  bool receive_new(schedule::Message& out);
  void post_pieces(Receive& r);
  void broadcast_bytes(std::byte* data, std::uint64_t nbytes, int root);
  void broadcast_one(Value& value, int root, const Key& key);
  void wait_for_all(MPI_Request& request, const char* call);
  void answer_queries(std::int64_t here);
  bool receive_number(int tag, std::int64_t& value, int& source);
  void send_number(int dest, int tag, std::int64_t value);
  [[noreturn]] void throw_mismatch(const Graph& graph, std::span<const std::uint64_t> tokens);

  MPI_Comm comm_;
  bool owns_comm_ = false;
  int rank_ = 0, size_ = 1;
  std::vector<unsigned> threads_;
  std::uint32_t epoch_ = 0;
  bool draining_ = false;
  std::deque<std::unique_ptr<Send>> sends_;
  std::deque<schedule::Message> loopback_;
  std::vector<std::deque<std::unique_ptr<Receive>>> receives_;  // per source, in arrival order
  std::uint64_t bytes_received_ = 0;
  std::uint64_t bytes_in_flight_ = 0;
  // Collective entries (check_same_graph) made so far, and how long to wait
  // at one before saying so (TESSERA_COLLECTIVE_WARN) or ending the job
  // (TESSERA_COLLECTIVE_TIMEOUT, 0: never).
  std::int64_t collectives_ = 0;
  double warn_seconds_ = 60, timeout_seconds_ = 0;
  std::deque<std::int64_t> query_payloads_;  // buffers of sends nobody waits for
  int departed_rank_ = -1;                    // a rank that ended its Runtime (depart()), and
  std::int64_t departed_made_ = 0;            // the collective calls it had made
  std::vector<char> departed_;                // per rank: has it ended its Runtime
  int departures_ = 0;                        // how many have
  void receive_departures();
};

}  // namespace tessera::comm
