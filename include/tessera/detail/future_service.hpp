#pragma once
// The futures service: what tessera::submit talks to (include/tessera/futures.hpp).
//
// One long-lived service per process, with a thread of its own, its own
// workers and (under MPI) its own communicator. Every rank adds the same
// entries in the same order (the replicated driver), numbered from 1; rank
// 0's service schedules each task as soon as its inputs are done and the
// rank that runs it has added it too, so a submit never waits for earlier
// work to end. Rank 0 announces every completion to every rank, in one
// order: as_completed's. Results stay on the rank that made them (small
// ones also ride with the announcement) and are fetched from there by any
// rank that asks, so result() works on any subset of ranks. A result is
// freed once every rank has dropped its handle and no pending task needs it.
#include <tessera/error.hpp>
#include <tessera/graph.hpp>
#include <tessera/transport.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace tessera::detail {

/// What a failed (or cancelled) task leaves instead of its result; its
/// dependents pass it on instead of running.
struct FutureError {
  ErrorInfo info;
};

/// One entry of the service's table: a task, or a value already placed.
struct ServiceEntry {
  Key key;
  TaskFunction fn;                  // empty for a value
  Value data;                       // a value, on the ranks that hold it
  int location = -1;                // a value's holder, -1: every rank
  std::uint64_t nbytes = 0;         // a value's size, known on every rank
  TaskAnnotations annotations{};    // where it may or should run
  std::vector<std::uint64_t> deps;  // earlier entries whose results it takes, in order
  bool has_handle = false;          // a Future refers to it: kept until every rank drops it
};

struct EntryStatus {
  bool done = false;
  std::uint64_t order = 0;  // completion order, the same on every rank
  int holder = -1;          // the rank that holds the result, -1: every rank
};

class FutureService {
 public:
  /// The process's service, started by the first call (collective: every
  /// rank makes it at the same point, its first submit or scatter).
  static FutureService& instance();
  /// Whether a service runs (handles dropped at exit need not tell it).
  static bool running();
  virtual ~FutureService() = default;

  virtual int rank() const = 0;
  virtual int ranks() const = 0;
  /// Adds an entry; returns its number (the same on every rank).
  virtual std::uint64_t add(ServiceEntry entry) = 0;
  /// This rank dropped its last handle to the entry.
  virtual void release(std::uint64_t entry) = 0;
  /// Cancels a task that has not started (rank 0 decides, once for every
  /// rank): it then finishes with `error` (a CancelledError) without running.
  virtual void cancel(std::uint64_t entry) = 0;
  virtual EntryStatus status(std::uint64_t entry) = 0;
  /// Blocks until every one of `entries` has run.
  virtual void wait(std::span<const std::uint64_t> entries) = 0;
  /// Blocks until one of `entries` not yet `taken` has run, and returns the
  /// position of the one that finished first among those.
  virtual std::size_t wait_next(std::span<const std::uint64_t> entries, const std::vector<bool>& taken) = 0;
  /// The results, fetched from their holders when this rank holds no copy.
  virtual std::vector<Value> values(std::span<const std::uint64_t> entries) = 0;
};

}  // namespace tessera::detail

template <>
struct tessera::Transport<tessera::detail::FutureError> {
  static void encode(const detail::FutureError& e, ByteWriter& out) { out.put(e.info); }
  static detail::FutureError decode(ByteReader& in) { return {in.get<ErrorInfo>()}; }
};
