#pragma once
/// Diagnostics: what a run did, as files a person copies home and opens offline.
///
///     tessera::Profile profile;                  // on every rank, between computes
///     double m = tessera::compute(x.mean());     // ... any computes, persists, futures
///     profile.write_report("report.html");       // collective: rank 0 writes one self-contained HTML file
///     profile.write_trace("trace.json");         // Chrome trace events: open in Perfetto or chrome://tracing
///
/// While a Profile lives, every rank records each task it runs (key, thread,
/// start and end, output bytes, input bytes fetched from other ranks and
/// from which, spill writes and reads during it) and each result moving
/// between ranks, and a sampler thread takes the rank's RSS, CPU use,
/// memory and spilled bytes every `sample_interval` seconds. Each thread
/// keeps its own records, without locks; nothing is sent while runs go on.
/// The first write stops recording and gathers every rank's records to
/// rank 0, point to point; later writes reuse them.
///
/// The report: the task stream per rank and thread, progress per key
/// prefix, each rank's time computing, spilling, transferring and idle, the
/// bytes moved between ranks, memory and CPU over time, the slowest tasks and
/// the biggest results, the run's settings, and, when a task failed, which
/// one, where and why. The trace: one process per rank, one track per
/// thread, transfers as flow arrows, memory and CPU as counters.
///
/// The `tessera` command takes `--report FILE` and `--trace FILE` for any
/// subcommand. One Profile per process at a time; records from every rank
/// that has one, so create it on every rank.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tessera {

class Graph;

struct ProfileOptions {
  double sample_interval = 0.1;  // seconds between resource samples; 0: no sampler thread
  std::string title{};           // names the run in the report; empty: the program's command line
};

namespace diagnostics {
struct ProfileData;
}

class Profile {
 public:
  explicit Profile(ProfileOptions options = {});
  ~Profile();
  Profile(const Profile&) = delete;
  Profile& operator=(const Profile&) = delete;

  /// Stops recording on this rank (the writes do it too); records are kept.
  void stop();
  /// Collective. Rank 0 writes the file; InputError when it cannot.
  void write_trace(const std::string& path);
  void write_report(const std::string& path);
  /// Collective: draws `graph` (Graph::visualize) with each task coloured
  /// by the rank that ran it and edges labelled with the bytes that crossed
  /// them, as this profile recorded. Rank 0 writes the file.
  void visualize(const Graph& graph, const std::string& path);

  /// After a write, on rank 0: the tasks and transfers recorded on all ranks (for tests).
  std::size_t tasks_recorded() const;
  std::size_t transfers_recorded() const;

 private:
  const diagnostics::ProfileData& gathered();

  struct Sampler;
  ProfileOptions options_;
  std::int64_t start_steady_ns_ = 0;
  std::int64_t start_ticks_ = 0;  // the records' clock (diagnostics::now) when start_steady_ns_ was read
  std::int64_t start_system_ns_ = 0;
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<diagnostics::ProfileData> data_;  // rank 0, once gathered
  bool gathered_ = false;
  bool stopped_ = false;
};

}  // namespace tessera
