#pragma once
// A Profile's records from every rank, as rank 0 holds them after the
// gather (profile.cpp), for the trace (trace_writer.cpp) and the report
// (report_writer.cpp). Times are nanoseconds since rank 0's profile start,
// each rank's steady clock moved onto rank 0's by way of the system clock
// (exact on one node; as good as the cluster's clock sync across nodes).
#include <charconv>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::diagnostics {

struct ThreadRow {
  unsigned id = 0;
  bool scheduler = false;  // the distributed progress thread; else a worker
};

struct TaskRow {
  unsigned thread = 0;
  std::string key;
  std::string prefix;  // the key's name without its token ('sum-3f2a' -> 'sum')
  std::int64_t start = 0, end = 0;
  std::uint64_t output_bytes = 0, fetched_bytes = 0;
  int fetched_from = -1;
  std::uint64_t spill_written = 0, spill_read = 0, spill_ns = 0;
  std::string error;
};

struct TransferRow {
  unsigned thread = 0;
  std::string key;
  int from = 0, to = 0;
  std::uint64_t bytes = 0;
  std::int64_t start = 0, end = 0;
  bool outgoing = false;
};

struct SampleRow {
  std::int64_t time = 0;
  std::uint64_t rss = 0;
  double cpu_percent = 0;
  std::uint64_t memory = 0, spilled = 0;
};

struct RunRow {
  std::int64_t start = 0, end = 0;
  std::vector<std::pair<std::string, std::uint64_t>> tasks_by_prefix;
};

struct RankProfile {
  int rank = 0;
  unsigned threads = 0;  // worker threads
  std::string host;
  std::uint64_t memory_limit = 0;
  std::string spill_dir;
  std::int64_t end = 0;  // when this rank stopped recording
  std::vector<ThreadRow> thread_rows;
  std::vector<TaskRow> tasks;
  std::vector<TransferRow> transfers;
  std::vector<SampleRow> samples;
  std::vector<RunRow> runs;
};

struct ProfileData {
  std::string title;
  std::string started_utc;  // rank 0's start, ISO 8601
  double sample_interval = 0;
  std::vector<RankProfile> ranks;

  std::int64_t duration() const;
};

/// This rank's records since `start_steady_ns`, with times on the system clock.
std::string encode_rank(const RankProfile& rank);
/// A rank's bytes back, its times moved to nanoseconds since `origin_system_ns`.
RankProfile decode_rank(const std::string& bytes, std::int64_t origin_system_ns);

/// Appends text and numbers: `append(out, "[", rank, ",", tid, "]")`.
inline void append_part(std::string& out, std::string_view text) { out.append(text); }
inline void append_part(std::string& out, char c) { out.push_back(c); }
template <std::integral T>
void append_part(std::string& out, T n) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, n).ptr);
}
template <class... Parts>
void append(std::string& out, const Parts&... parts) {
  (append_part(out, parts), ...);
}

/// A number with `digits` decimals (a JSON number; the trace's and the report's format).
void append_decimal(std::string& out, double value, int digits);
/// Nanoseconds as microseconds to the nanosecond: the time unit of the trace and of the report's data.
inline void append_microseconds(std::string& out, std::int64_t ns) {
  append_decimal(out, static_cast<double>(ns) / 1000.0, 3);
}

/// A JSON string: quotes, backslashes and control characters escaped, and
/// '<' as \u003c so that the text can sit inside an HTML script element.
void append_json_string(std::string& out, std::string_view text);

/// "scheduler", or "worker <id>".
std::string thread_name(const ThreadRow& thread);

std::string chrome_trace(const ProfileData& data);
std::string html_report(const ProfileData& data);

}  // namespace tessera::diagnostics
