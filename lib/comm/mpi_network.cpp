// Messages on MPI.
//
// Three tags on a private communicator. Control messages (tag_control) are
// small byte strings: [epoch][kind][body]. A result travels as a header
// (tag_header: epoch, node, type, size) then its body (tag_body) in pieces
// of at most 1 GiB, sent from the value's own buffer when the type is
// contiguous and received straight into the new value's buffer: no
// serialisation copy on either side. MPI keeps messages of one tag from one
// source in order, so the bodies from a source match its headers in order.
//
// Receives use matched probes (MPI_Improbe + MPI_Imrecv): nothing is posted
// in advance, so a run leaves no receive behind. Every message carries the
// run's epoch; what arrives from an earlier run is dropped, and end_run()
// completes this rank's sends while dropping what arrives; after a failed
// run it then waits in a non-blocking barrier that keeps that going until
// every rank is done.
#include "comm/mpi_network.hpp"

#include "graph/derived.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <thread>

#include <sys/mman.h>

namespace tessera::comm {
namespace {

constexpr int tag_control = 1;
constexpr int tag_header = 2;
constexpr int tag_body = 3;
constexpr std::size_t piece_bytes = std::size_t{1} << 30;
constexpr int tag_query = 4;
constexpr int tag_reply = 5;
constexpr int tag_departed = 6;

// Room for `n` bytes in an encoding's `bytes`, its whole 2 MiB stretches on
// transparent huge pages when it is large: an encoded table of 16 MB on fresh
// small pages costs 4,096 faults at ~8 µs on a VM; on huge pages, 8. (A
// receive goes into a Buffer, which has them already; the codecs encode into
// a vector.)
void reserve_huge(std::vector<std::byte>& bytes, std::size_t n) {
  constexpr std::uintptr_t huge = std::uintptr_t{2} << 20;
  bytes.reserve(n);
  if (bytes.capacity() < 2 * huge) return;
  const auto start = reinterpret_cast<std::uintptr_t>(bytes.data());
  const std::uintptr_t first = (start + huge - 1) & ~(huge - 1), last = (start + bytes.capacity()) & ~(huge - 1);
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);  // best effort
}

double seconds_from_env(const char* name, double fallback) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  if (*end != '\0' || !(value >= 0)) {
    throw_error(ErrorKind::input, std::string(name) + "=" + text + " is not a number of seconds",
                "set it to seconds, like 60 or 0.5, or unset it");
  }
  return value;
}

std::string rank_list(const std::vector<int>& ranks) {
  std::string out = ranks.size() == 1 ? "rank " : "ranks ";
  for (std::size_t i = 0; i < ranks.size(); ++i) out += (i ? ", " : "") + std::to_string(ranks[i]);
  return out;
}

std::size_t piece_count(std::uint64_t nbytes) {
  return nbytes == 0 ? 1 : static_cast<std::size_t>((nbytes + piece_bytes - 1) / piece_bytes);
}

int piece_size(std::uint64_t nbytes, std::size_t piece) {
  const std::uint64_t begin = piece * piece_bytes;
  return static_cast<int>(std::min<std::uint64_t>(piece_bytes, nbytes - std::min(nbytes, begin)));
}

[[noreturn]] void comm_error(std::string message, std::string hint = {}) {
  throw_error(ErrorKind::comm, std::move(message), std::move(hint));
}

}  // namespace

void check_mpi(int rc, const char* operation, int peer) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  MPI_Error_string(rc, text, &length);
  std::string message = std::string(operation) + " failed";
  if (peer >= 0) message += " (peer rank " + std::to_string(peer) + ")";
  comm_error(message + ": " + text);
}

MpiNetwork::MpiNetwork(MPI_Comm comm, std::vector<unsigned> threads_per_rank)
    : comm_(comm), threads_(std::move(threads_per_rank)) {
  check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  receives_.resize(static_cast<std::size_t>(size_));
  warn_seconds_ = seconds_from_env("TESSERA_COLLECTIVE_WARN", 60);
  timeout_seconds_ = seconds_from_env("TESSERA_COLLECTIVE_TIMEOUT", 0);
}

MpiNetwork::~MpiNetwork() {
  // Sends still pending here would write into freed buffers: finish them.
  for (auto& send : sends_) {
    MPI_Waitall(static_cast<int>(send->requests.size()), send->requests.data(), MPI_STATUSES_IGNORE);
  }
  if (owns_comm_) MPI_Comm_free(&comm_);
}

bool MpiNetwork::multithreaded() const {
  int level = MPI_THREAD_SINGLE;
  MPI_Query_thread(&level);
  return level >= MPI_THREAD_MULTIPLE;  // the same answer on every rank
}

std::unique_ptr<schedule::Network> MpiNetwork::duplicate() {
  MPI_Comm copy;
  check_mpi(MPI_Comm_dup(comm_, &copy), "MPI_Comm_dup");
  MPI_Comm_set_errhandler(copy, MPI_ERRORS_RETURN);
  auto network = std::make_unique<MpiNetwork>(copy, threads_);
  network->own_communicator();
  return network;
}

// ---- the entry of a collective call -------------------------------------------------------
//
// Every compute()/persist() starts with one reduction of the graph's
// fingerprint: the point where all ranks meet. It is non-blocking so that a
// rank kept waiting can say for whom: after TESSERA_COLLECTIVE_WARN seconds
// it asks every other rank where it is (tag_query); ranks waiting at an entry
// answer with their collective number (tag_reply), ranks elsewhere (in their
// own code, or already past the end) do not, and the silence names them.

void MpiNetwork::check_same_graph(const Graph& graph, const char* call) {
  ++collectives_;
  const auto kept = graph::node_tokens_of(graph);  // made once per graph
  const std::vector<std::uint64_t>& tokens = *kept;
  const std::uint64_t fingerprint = Graph::fingerprint(tokens), nodes = tokens.size();
  // MAX of (x, ~x) gives both the max and the min of x at once.
  std::uint64_t mine[4] = {fingerprint, ~fingerprint, nodes, ~nodes};
  std::uint64_t all[4] = {};
  MPI_Request request;
  check_mpi(MPI_Iallreduce(mine, all, 4, MPI_UINT64_T, MPI_MAX, comm_, &request), "MPI_Iallreduce (graph fingerprint)");
  wait_for_all(request, call);
  if (all[0] != ~all[1] || all[2] != ~all[3]) throw_mismatch(graph, tokens);
}

std::string MpiNetwork::broadcast_text(const std::string& text, int root, const char* call) {
  ++collectives_;
  std::uint64_t size = text.size();
  MPI_Request request;
  check_mpi(MPI_Ibcast(&size, 1, MPI_UINT64_T, root, comm_, &request), "MPI_Ibcast (size)", root);
  wait_for_all(request, call);
  std::string out = rank_ == root ? text : std::string(size, '\0');
  broadcast_bytes(reinterpret_cast<std::byte*>(out.data()), size, root);
  return out;
}

// One int64 from anyone on `tag`, if one has arrived.
bool MpiNetwork::receive_number(int tag, std::int64_t& value, int& source) {
  int found = 0;
  MPI_Message message;
  MPI_Status status;
  check_mpi(MPI_Improbe(MPI_ANY_SOURCE, tag, comm_, &found, &message, &status), "MPI_Improbe (waiting rank)");
  if (!found) return false;
  check_mpi(MPI_Mrecv(&value, 1, MPI_INT64_T, &message, MPI_STATUS_IGNORE), "MPI_Mrecv (waiting rank)");
  source = status.MPI_SOURCE;
  return true;
}

// Sends one int64 nobody waits for (its buffer lives as long as the network).
void MpiNetwork::send_number(int dest, int tag, std::int64_t value) {
  query_payloads_.push_back(value);
  MPI_Request request;
  check_mpi(MPI_Isend(&query_payloads_.back(), 1, MPI_INT64_T, dest, tag, comm_, &request), "MPI_Isend (waiting rank)",
            dest);
  MPI_Request_free(&request);
}

void MpiNetwork::answer_queries(std::int64_t here) {
  std::int64_t asked = 0;
  for (int source = 0; receive_number(tag_query, asked, source);) send_number(source, tag_reply, here);
}

// Ends this rank's part: tells the others, then waits until they have all
// ended theirs. MPI_Finalize waits for them too, but inside Open MPI's
// launcher: when a rank fails while another already sits there, mpiexec 4.1
// can hang or crash tearing the job down (5 runs in 120 of a rank leaving
// before a compute() the others make, on 4 ranks over 2 cores). Waiting
// here keeps a departed rank out of MPI_Finalize until every rank is done
// with its collective calls: if one fails, the launcher ends the job while
// this rank still polls.
void MpiNetwork::depart() {
  std::int64_t made = static_cast<std::int64_t>(collectives_);
  std::vector<MPI_Request> requests;
  for (int r = 0; r < size_; ++r) {
    if (r == rank_) continue;
    requests.emplace_back();
    if (MPI_Isend(&made, 1, MPI_INT64_T, r, tag_departed, comm_, &requests.back()) != MPI_SUCCESS) requests.pop_back();
  }
  // 8 bytes go eagerly: complete at once, whether or not anyone receives them.
  MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE);

  // No warning and no TESSERA_COLLECTIVE_TIMEOUT here: a rank may well
  // spend minutes writing results after the others are done.
  for (std::uint64_t spin = 0;; ++spin) {
    receive_departures();
    if (departures_ >= size_ - 1) return;
    if (spin < 256) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  }
}

// Departure notices that have arrived; the earliest leaver is the one to name.
void MpiNetwork::receive_departures() {
  if (departed_.empty()) departed_.assign(static_cast<std::size_t>(size_), 0);
  std::int64_t made = 0;
  for (int gone = -1; receive_number(tag_departed, made, gone);) {
    if (!departed_[static_cast<std::size_t>(gone)]) {
      departed_[static_cast<std::size_t>(gone)] = 1;
      ++departures_;
    }
    if (departed_rank_ < 0 || made < departed_made_) {
      departed_rank_ = gone;
      departed_made_ = made;
    }
  }
}

void MpiNetwork::wait_for_all(MPI_Request& request, const char* call) {
  using Clock = std::chrono::steady_clock;
  const std::int64_t here = collectives_;
  const auto start = Clock::now();
  auto seconds_since = [&](Clock::time_point t) { return std::chrono::duration<double>(t - start).count(); };
  double next_report = warn_seconds_ > 0 ? warn_seconds_ : 1e300;
  if (timeout_seconds_ > 0) next_report = std::min(next_report, timeout_seconds_);
  std::vector<std::int64_t> where;  // per rank: the collective it answered from, -1 before it answers
  double asked_at = -1;
  for (std::uint64_t spin = 0;; ++spin) {
    int done = 0;
    check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test (graph fingerprint)");
    if (done) return;
    if (spin < 256) continue;  // the usual case: the others are microseconds away
    answer_queries(here);
    receive_departures();
    // A rank that left after making this call took part in it (it completes);
    // one that left before never will.
    if (departed_rank_ >= 0 && departed_made_ < here) {
      comm_error("rank " + std::to_string(rank_) + " waits in " + call + " (its collective call #" + std::to_string(here) +
                     ") for rank " + std::to_string(departed_rank_) + ", which has ended its Runtime after " +
                     std::to_string(departed_made_) + " such calls",
                 "every rank must make the same compute()/persist() calls: print on rank 0 only, but compute on every rank");
    }
    std::int64_t theirs = 0;
    for (int source = 0; receive_number(tag_reply, theirs, source);) {
      if (asked_at >= 0) where[static_cast<std::size_t>(source)] = theirs;
    }
    const double waited = seconds_since(Clock::now());
    if (asked_at < 0 && waited >= next_report) {
      where.assign(static_cast<std::size_t>(size_), -1);
      where[static_cast<std::size_t>(rank_)] = here;
      for (int r = 0; r < size_; ++r) {
        if (r != rank_) send_number(r, tag_query, here);
      }
      asked_at = waited;
    }
    const bool all_answered = asked_at >= 0 && std::count(where.begin(), where.end(), -1) == 0;
    if (asked_at >= 0 && (all_answered || waited - asked_at >= 0.5)) {
      std::vector<int> missing;
      std::string elsewhere;
      for (int r = 0; r < size_; ++r) {
        const auto at = where[static_cast<std::size_t>(r)];
        if (at < 0) missing.push_back(r);
        if (at >= 0 && at != here) {
          elsewhere += "; rank " + std::to_string(r) + " waits in its collective call #" + std::to_string(at);
        }
      }
      const bool abort = timeout_seconds_ > 0 && waited >= timeout_seconds_;
      char elapsed[32];
      std::snprintf(elapsed, sizeof elapsed, "%.1f", waited);
      std::string text = "tessera: rank " + std::to_string(rank_) + " has waited " + elapsed + " s in " + call +
                         " (collective call #" + std::to_string(here) + " of this rank) for the other ranks";
      if (!missing.empty()) text += "; not arrived: " + rank_list(missing);
      text += elsewhere;
      text += abort ? "; ending the job (TESSERA_COLLECTIVE_TIMEOUT)\n"
                    : "; every rank must make the same compute()/persist() calls\n";
      std::fputs(text.c_str(), stderr);
      std::fflush(stderr);
      if (abort) MPI_Abort(comm_, 1);
      asked_at = -1;
      next_report = waited + (warn_seconds_ > 0 ? warn_seconds_ : 1e300);
      if (timeout_seconds_ > 0) next_report = std::min(next_report, std::max(timeout_seconds_, waited + 0.5));
    }
    if (waited < 0.01) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  }
}

// Which task differs first, and on which rank: every rank compares its tokens
// with rank 0's (the error path only, so broadcasting them is fine).
void MpiNetwork::throw_mismatch(const Graph& graph, std::span<const std::uint64_t> tokens) {
  std::uint64_t reference_size = tokens.size();
  check_mpi(MPI_Bcast(&reference_size, 1, MPI_UINT64_T, 0, comm_), "MPI_Bcast (graph mismatch)");
  std::vector<std::uint64_t> reference(tokens.begin(), tokens.end());
  reference.resize(static_cast<std::size_t>(reference_size));
  check_mpi(MPI_Bcast(reference.data(), static_cast<int>(reference.size()), MPI_UINT64_T, 0, comm_),
            "MPI_Bcast (graph mismatch)");
  const std::size_t common = std::min(reference.size(), tokens.size());
  long first = std::numeric_limits<long>::max();  // no difference on this rank
  for (std::size_t i = 0; i < common; ++i) {
    if (tokens[i] != reference[i]) {
      first = static_cast<long>(i);
      break;
    }
  }
  if (first == std::numeric_limits<long>::max() && tokens.size() != reference.size()) first = static_cast<long>(common);
  struct {
    long index;
    int rank;
  } mine{first, rank_}, lowest{};
  check_mpi(MPI_Allreduce(&mine, &lowest, 1, MPI_LONG_INT, MPI_MINLOC, comm_), "MPI_Allreduce (graph mismatch)");
  const auto index = static_cast<std::size_t>(lowest.index);
  auto describe = [&](int rank) {
    std::string text;
    if (rank_ == rank) text = schedule::describe_task_at(graph, index);
    std::uint64_t length = text.size();
    check_mpi(MPI_Bcast(&length, 1, MPI_UINT64_T, rank, comm_), "MPI_Bcast (graph mismatch)");
    text.resize(static_cast<std::size_t>(length));
    check_mpi(MPI_Bcast(text.data(), static_cast<int>(length), MPI_CHAR, rank, comm_), "MPI_Bcast (graph mismatch)");
    return text;
  };
  const std::string on_zero = describe(0), on_other = describe(lowest.rank);
  schedule::throw_graph_mismatch(index, on_zero, on_other, lowest.rank);
}

void MpiNetwork::begin_run() {
  ++epoch_;
  draining_ = false;
}

void MpiNetwork::end_run(bool clean) {
  draining_ = true;
  schedule::Message dropped;
  while (!sends_.empty()) {
    poll(dropped);
  }
  if (clean) {
    loopback_.clear();
    return;
  }
  MPI_Request barrier;
  check_mpi(MPI_Ibarrier(comm_, &barrier), "MPI_Ibarrier (end of run)");
  for (;;) {
    int done = 0;
    check_mpi(MPI_Test(&barrier, &done, MPI_STATUS_IGNORE), "MPI_Test (end of run)");
    if (done) break;
    poll(dropped);
  }
  loopback_.clear();
}

void MpiNetwork::send_control(int dest, schedule::MessageKind kind, std::vector<std::byte> body) {
  if (dest == rank_) {
    schedule::Message m;
    m.source = rank_;
    m.kind = kind;
    m.body = std::move(body);
    loopback_.push_back(std::move(m));
    return;
  }
  auto send = std::make_unique<Send>();
  send->buffer.resize(sizeof(std::uint32_t) + 1 + body.size());
  std::memcpy(send->buffer.data(), &epoch_, sizeof epoch_);
  send->buffer[sizeof epoch_] = static_cast<std::byte>(kind);
  if (!body.empty()) std::memcpy(send->buffer.data() + sizeof epoch_ + 1, body.data(), body.size());
  send->requests.resize(1);
  check_mpi(MPI_Isend(send->buffer.data(), static_cast<int>(send->buffer.size()), MPI_BYTE, dest, tag_control, comm_,
                      &send->requests[0]),
            "MPI_Isend (control)", dest);
  sends_.push_back(std::move(send));
}

void MpiNetwork::send_value(int dest, NodeId node, const Value& value, const Key& key) {
  if (dest == rank_) {
    schedule::Message m;
    m.source = rank_;
    m.kind = schedule::MessageKind::data;
    m.node = node;
    m.value = value;
    loopback_.push_back(std::move(m));
    return;
  }
  const auto& codec = value.holder()->codec();
  if (!codec.travels) {
    comm_error("the result of task " + key.str() + " has type " + value.type_name() +
                   ", which cannot travel between ranks",
               "specialise tessera::Transport<T> for it (see <tessera/transport.hpp>)");
  }
  auto send = std::make_unique<Send>();
  std::span<const std::byte> body;
  if (codec.contiguous) {
    body = codec.view(*value.holder());
    send->keep = value;
  } else {
    reserve_huge(send->buffer, value.nbytes() + 4096);  // the encoding's size, near enough
    codec.encode(*value.holder(), send->buffer);
    body = send->buffer;
    send->encoded.emplace(send->buffer.size());
  }
  send->value_bytes = body.size();
  bytes_in_flight_ += body.size();
  DataHeader header{epoch_, node, codec.type_id, static_cast<std::uint8_t>(codec.contiguous), body.size()};
  send->header.resize(sizeof header);
  std::memcpy(send->header.data(), &header, sizeof header);
  const std::size_t pieces = piece_count(body.size());
  send->requests.resize(1 + pieces);
  check_mpi(MPI_Isend(send->header.data(), sizeof header, MPI_BYTE, dest, tag_header, comm_, &send->requests[0]),
            "MPI_Isend (result header)", dest);
  for (std::size_t p = 0; p < pieces; ++p) {
    check_mpi(MPI_Isend(const_cast<std::byte*>(body.data()) + p * piece_bytes, piece_size(body.size(), p), MPI_BYTE,
                        dest, tag_body, comm_, &send->requests[1 + p]),
              "MPI_Isend (result)", dest);
  }
  sends_.push_back(std::move(send));
}

void MpiNetwork::progress_sends() {
  for (auto it = sends_.begin(); it != sends_.end();) {
    int done = 0;
    auto& requests = (*it)->requests;
    check_mpi(MPI_Testall(static_cast<int>(requests.size()), requests.data(), &done, MPI_STATUSES_IGNORE),
              "MPI_Testall (sends)");
    if (done) bytes_in_flight_ -= (*it)->value_bytes;
    it = done ? sends_.erase(it) : std::next(it);
  }
}

void MpiNetwork::post_pieces(Receive& r) {
  const std::size_t pieces = piece_count(r.header.nbytes);
  while (r.pieces_matched < pieces) {
    int found = 0;
    MPI_Message message;
    MPI_Status status;
    check_mpi(MPI_Improbe(r.source, tag_body, comm_, &found, &message, &status), "MPI_Improbe (result)", r.source);
    if (!found) return;
    const std::size_t p = r.pieces_matched++;
    std::byte* dst = r.target.data() + p * piece_bytes;
    r.requests.emplace_back();
    check_mpi(MPI_Imrecv(dst, piece_size(r.header.nbytes, p), MPI_BYTE, &message, &r.requests.back()),
              "MPI_Imrecv (result)", r.source);
  }
}

bool MpiNetwork::match_bodies() {
  bool any = false;
  for (auto& queue : receives_) {
    for (auto& r : queue) {
      const std::size_t before = r->pieces_matched;
      post_pieces(*r);
      any |= r->pieces_matched != before;
      if (r->pieces_matched < piece_count(r->header.nbytes)) break;  // later bodies come after this one
    }
  }
  return any;
}

bool MpiNetwork::finish_receive(schedule::Message& out) {
  for (auto& queue : receives_) {
    while (!queue.empty()) {
      Receive& r = *queue.front();
      if (r.pieces_matched < piece_count(r.header.nbytes)) break;
      int done = 0;
      check_mpi(MPI_Testall(static_cast<int>(r.requests.size()), r.requests.data(), &done, MPI_STATUSES_IGNORE),
                "MPI_Testall (result)", r.source);
      if (!done) break;
      std::unique_ptr<Receive> finished = std::move(queue.front());
      queue.pop_front();
      if (finished->discard || draining_) continue;
      bytes_received_ += finished->header.nbytes;
      finished->counted.reset();  // the caller stores it at once, and counts it there
      out = schedule::Message();
      out.source = finished->source;
      out.kind = schedule::MessageKind::data;
      out.node = finished->header.node;
      out.wire_bytes = finished->header.nbytes;
      if (finished->holder) {
        out.value = Value::from_holder(std::move(finished->holder));
      } else {
        const auto* codec = detail::find_codec(finished->header.type_id);
        out.value = Value::from_holder(codec->decode(finished->bytes.bytes()));
      }
      return true;
    }
  }
  return false;
}

bool MpiNetwork::receive_new(schedule::Message& out) {
  for (;;) {
    int found = 0;
    MPI_Message message;
    MPI_Status status;
    check_mpi(MPI_Improbe(MPI_ANY_SOURCE, tag_header, comm_, &found, &message, &status), "MPI_Improbe (header)");
    if (found) {
      DataHeader header{};
      check_mpi(MPI_Mrecv(&header, sizeof header, MPI_BYTE, &message, MPI_STATUS_IGNORE), "MPI_Mrecv (header)",
                status.MPI_SOURCE);
      auto r = std::make_unique<Receive>();
      r->source = status.MPI_SOURCE;
      r->header = header;
      r->discard = draining_ || header.epoch != epoch_;
      const auto* codec = detail::find_codec(header.type_id);
      if (!r->discard && !codec) {
        comm_error("rank " + std::to_string(r->source) + " sent a result of a type this rank does not know",
                   "every rank must run the same program");
      }
      if (!r->discard) r->counted.emplace(static_cast<std::size_t>(header.nbytes));
      if (!r->discard && header.contiguous) {
        r->holder = codec->make(static_cast<std::size_t>(header.nbytes), r->target);
      } else {
        r->bytes = Buffer(static_cast<std::size_t>(header.nbytes));  // not zeroed, and from the Buffer cache
        r->target = r->bytes.bytes();
      }
      receives_[static_cast<std::size_t>(r->source)].push_back(std::move(r));
      continue;
    }
    check_mpi(MPI_Improbe(MPI_ANY_SOURCE, tag_control, comm_, &found, &message, &status), "MPI_Improbe (control)");
    if (!found) return false;
    int count = 0;
    MPI_Get_count(&status, MPI_BYTE, &count);
    std::vector<std::byte> bytes(static_cast<std::size_t>(count));
    check_mpi(MPI_Mrecv(bytes.data(), count, MPI_BYTE, &message, MPI_STATUS_IGNORE), "MPI_Mrecv (control)",
              status.MPI_SOURCE);
    std::uint32_t epoch = 0;
    std::memcpy(&epoch, bytes.data(), sizeof epoch);
    if (draining_ || epoch != epoch_) continue;  // from a finished run
    out = schedule::Message();
    out.source = status.MPI_SOURCE;
    out.kind = static_cast<schedule::MessageKind>(bytes[sizeof epoch]);
    out.body.assign(bytes.begin() + sizeof epoch + 1, bytes.end());
    return true;
  }
}

bool MpiNetwork::poll(schedule::Message& out) {
  progress_sends();
  if (!loopback_.empty() && !draining_) {
    out = std::move(loopback_.front());
    loopback_.pop_front();
    return true;
  }
  match_bodies();
  if (finish_receive(out)) return true;
  if (receive_new(out)) return true;
  match_bodies();
  return finish_receive(out);
}

void MpiNetwork::broadcast_bytes(std::byte* data, std::uint64_t nbytes, int root) {
  for (std::size_t p = 0; p < piece_count(nbytes); ++p) {
    check_mpi(MPI_Bcast(data + p * piece_bytes, piece_size(nbytes, p), MPI_BYTE, root, comm_), "MPI_Bcast (output)",
              root);
  }
}

namespace {
[[noreturn]] void cannot_travel(const Key& key, int root) {
  comm_error("the output " + key.str() + " (on rank " + std::to_string(root) +
                 ") has a type that cannot travel between ranks, so compute() cannot return it on every rank",
             "specialise tessera::Transport<T> for it, or persist() it instead");
}
}  // namespace

// One large output: a header, then its bytes straight from (and into) the value's buffer.
void MpiNetwork::broadcast_one(Value& value, int root, const Key& key) {
  struct {
    std::uint64_t type_id = 0, nbytes = 0;
    std::uint8_t contiguous = 0;
  } header;
  std::vector<std::byte> encoded;
  std::span<const std::byte> body;
  if (rank_ == root) {
    const auto& codec = value.holder()->codec();
    header.type_id = codec.type_id;
    header.contiguous = codec.contiguous;
    if (codec.contiguous) {
      body = codec.view(*value.holder());
    } else {
      codec.encode(*value.holder(), encoded);
      body = encoded;
    }
    header.nbytes = body.size();
  }
  check_mpi(MPI_Bcast(&header, sizeof header, MPI_BYTE, root, comm_), "MPI_Bcast (output header)", root);
  if (rank_ == root) {
    broadcast_bytes(const_cast<std::byte*>(body.data()), header.nbytes, root);
    return;
  }
  const auto* codec = detail::find_codec(header.type_id);
  if (!codec) cannot_travel(key, root);
  std::shared_ptr<detail::ValueHolderBase> holder;
  std::span<std::byte> target;
  if (header.contiguous) {
    holder = codec->make(static_cast<std::size_t>(header.nbytes), target);
  } else {
    encoded.resize(static_cast<std::size_t>(header.nbytes));
    target = encoded;
  }
  broadcast_bytes(target.data(), header.nbytes, root);
  bytes_received_ += header.nbytes;
  value = Value::from_holder(holder ? std::move(holder) : codec->decode(encoded));
}

void MpiNetwork::broadcast_outputs(std::span<Value> values, std::span<const int> holders, std::span<const Key> keys) {
  constexpr std::size_t small = 64 * 1024;
  // Every rank knows the holders: only ranks that hold an output broadcast.
  std::vector<std::uint8_t> holds_output(static_cast<std::size_t>(size_), 0);
  for (int h : holders) {
    if (h >= 0) holds_output[static_cast<std::size_t>(h)] = 1;
  }
  for (int root = 0; root < size_; ++root) {
    if (!holds_output[static_cast<std::size_t>(root)]) continue;
    // Pack: per output of this root, [index u64][type u64][size u64][bytes], small ones only;
    // an output whose type cannot travel is sent as type 0 so that every rank throws alike.
    std::vector<std::byte> packed;
    std::vector<std::size_t> large;
    if (rank_ == root) {
      ByteWriter out(packed);
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (holders[i] != root) continue;
        const auto& codec = values[i].holder()->codec();
        if (codec.contiguous && codec.view(*values[i].holder()).size() > small) {
          large.push_back(i);
          continue;
        }
        std::vector<std::byte> bytes;
        if (codec.travels) codec.encode(*values[i].holder(), bytes);
        out.put(static_cast<std::uint64_t>(i));
        out.put(codec.travels ? codec.type_id : std::uint64_t{0});
        out.put(static_cast<std::uint64_t>(bytes.size()));
        out.write(bytes.data(), bytes.size());
      }
    }
    // One broadcast of a fixed block carries the sizes and, when they fit,
    // the packed small outputs themselves: the common case costs one collective.
    constexpr std::size_t block_bytes = 4096, head = 2 * sizeof(std::uint64_t);
    std::vector<std::byte> block(block_bytes);
    std::uint64_t sizes[2] = {packed.size(), large.size()};
    std::memcpy(block.data(), sizes, head);
    if (rank_ == root && !packed.empty() && packed.size() <= block_bytes - head) {  // empty: data() may be null
      std::memcpy(block.data() + head, packed.data(), packed.size());
    }
    check_mpi(MPI_Bcast(block.data(), static_cast<int>(block_bytes), MPI_BYTE, root, comm_), "MPI_Bcast (outputs)",
              root);
    std::memcpy(sizes, block.data(), head);
    packed.resize(static_cast<std::size_t>(sizes[0]));
    if (sizes[0] <= block_bytes - head) {
      if (!packed.empty()) std::memcpy(packed.data(), block.data() + head, packed.size());
    } else {
      broadcast_bytes(packed.data(), sizes[0], root);
    }
    large.resize(static_cast<std::size_t>(sizes[1]));
    if (sizes[1] > 0) {
      check_mpi(MPI_Bcast(large.data(), static_cast<int>(sizes[1]), MPI_UINT64_T, root, comm_),
                "MPI_Bcast (outputs)", root);
    }
    ByteReader in(packed);
    while (in.remaining() > 0) {
      auto index = static_cast<std::size_t>(in.get<std::uint64_t>());
      auto type_id = in.get<std::uint64_t>();
      auto nbytes = static_cast<std::size_t>(in.get<std::uint64_t>());
      std::vector<std::byte> bytes(nbytes);
      in.read(bytes.data(), nbytes);
      if (type_id == 0) cannot_travel(keys[index], root);
      if (rank_ == root) continue;
      bytes_received_ += nbytes;
      values[index] = Value::from_holder(detail::find_codec(type_id)->decode(bytes));
    }
    for (std::size_t index : large) broadcast_one(values[index], root, keys[index]);
  }
}

}  // namespace tessera::comm
