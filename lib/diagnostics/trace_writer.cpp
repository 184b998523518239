// Chrome trace-event JSON (the "JSON Object Format" that Perfetto and
// chrome://tracing open): one process per rank, one track per thread, tasks
// as complete events named by key prefix, each transfer as a send slice on
// the sender's scheduler thread and a receive slice on the receiver's, tied
// by a flow arrow, and memory and CPU as counters.
#include "diagnostics/profile_data.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>
#include <unordered_map>

namespace tessera::diagnostics {

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '<': out += "\\u003c"; break;  // nothing inside a report's script element can end it or open a comment
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_decimal(std::string& out, double value, int digits) {
  char text[48];
  const int n = std::snprintf(text, sizeof text, "%.*f", digits, value);
  out.append(text, n > 0 ? static_cast<std::size_t>(n) : 0);
}

std::string thread_name(const ThreadRow& thread) {
  std::string name = thread.scheduler ? "scheduler" : "worker ";
  if (!thread.scheduler) append(name, thread.id);
  return name;
}

namespace {

class EventWriter {
 public:
  explicit EventWriter(std::string& out) : out_(out) {}
  // Opens an event: {"ph":"X","pid":1,"tid":2 ... ; the caller adds the rest and close()s.
  std::string& open(char phase, int pid, long long tid = -1) {
    out_ += first_ ? "\n" : ",\n";
    first_ = false;
    out_ += "{\"ph\":\"";
    out_ += phase;
    append(out_, "\",\"pid\":", pid);
    if (tid >= 0) append(out_, ",\"tid\":", tid);
    return out_;
  }
  void close() { out_ += '}'; }
  std::string& field(const char* name) {
    out_ += ",\"";
    out_ += name;
    out_ += "\":";
    return out_;
  }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace

std::string chrome_trace(const ProfileData& data) {
  std::string out = "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"title\":";
  append_json_string(out, data.title);
  out += ",\"started\":";
  append_json_string(out, data.started_utc);
  out += "},\"traceEvents\":[";
  EventWriter ev(out);

  // Flow ids: the k-th send of a key from one rank to another meets the k-th receipt of it there.
  std::map<std::tuple<int, int, std::string>, std::vector<std::uint64_t>> sends;  // flow ids in send order
  std::unordered_map<const TransferRow*, std::uint64_t> send_flow;
  std::uint64_t next_flow = 1;
  for (const auto& r : data.ranks) {
    std::vector<const TransferRow*> outgoing;
    for (const auto& t : r.transfers) {
      if (t.outgoing) outgoing.push_back(&t);
    }
    std::stable_sort(outgoing.begin(), outgoing.end(),
                     [](const TransferRow* a, const TransferRow* b) { return a->start < b->start; });
    for (const auto* t : outgoing) {
      send_flow[t] = next_flow;
      sends[{t->from, t->to, t->key}].push_back(next_flow++);
    }
  }
  std::map<std::tuple<int, int, std::string>, std::size_t> received;  // receipts matched so far

  for (const auto& r : data.ranks) {
    ev.open('M', r.rank);
    ev.field("name") += "\"process_name\"";
    ev.field("args") += "{\"name\":";
    std::string name;
    append(name, "rank ", r.rank);
    if (!r.host.empty()) append(name, " (", r.host, ")");
    append_json_string(out, name);
    out += "}";
    ev.close();
    ev.open('M', r.rank);
    ev.field("name") += "\"process_sort_index\"";
    append(ev.field("args"), "{\"sort_index\":", r.rank, "}");
    ev.close();
    for (const auto& t : r.thread_rows) {
      ev.open('M', r.rank, t.id);
      ev.field("name") += "\"thread_name\"";
      ev.field("args") += "{\"name\":";
      append_json_string(out, thread_name(t));
      out += "}";
      ev.close();
    }
    for (const auto& t : r.tasks) {
      ev.open('X', r.rank, t.thread);
      ev.field("cat") += t.error.empty() ? "\"task\"" : "\"task,failed\"";
      append_json_string(ev.field("name"), t.prefix);
      append_microseconds(ev.field("ts"), t.start);
      append_microseconds(ev.field("dur"), std::max<std::int64_t>(t.end - t.start, 0));
      ev.field("args") += "{\"key\":";
      append_json_string(out, t.key);
      append(out, ",\"output_bytes\":", t.output_bytes);
      if (t.fetched_bytes) {
        append(out, ",\"fetched_bytes\":", t.fetched_bytes, ",\"fetched_from\":", t.fetched_from);
      }
      if (t.spill_written || t.spill_read) {
        append(out, ",\"spill_written\":", t.spill_written, ",\"spill_read\":", t.spill_read);
      }
      if (!t.error.empty()) {
        out += ",\"error\":";
        append_json_string(out, t.error);
      }
      out += "}";
      ev.close();
    }
    for (const auto& t : r.transfers) {
      // A receipt with no wait before it is an instant: give it a microsecond so that it shows and binds its flow.
      const std::int64_t start = t.start, end = std::max(t.end, t.start + 1000);
      ev.open('X', r.rank, t.thread);
      ev.field("cat") += "\"transfer\"";
      ev.field("name") += t.outgoing ? "\"send\"" : "\"receive\"";
      append_microseconds(ev.field("ts"), start);
      append_microseconds(ev.field("dur"), end - start);
      ev.field("args") += "{\"key\":";
      append_json_string(out, t.key);
      append(out, ",\"from\":", t.from, ",\"to\":", t.to, ",\"bytes\":", t.bytes, "}");
      ev.close();
      const std::tuple<int, int, std::string> route{t.from, t.to, t.key};
      auto flows = sends.find(route);
      if (flows == sends.end()) continue;
      std::uint64_t id = 0;
      if (t.outgoing) {
        id = send_flow[&t];
      } else {
        std::size_t& k = received[route];
        if (k >= flows->second.size()) continue;
        id = flows->second[k++];
      }
      ev.open(t.outgoing ? 's' : 'f', r.rank, t.thread);
      ev.field("cat") += "\"transfer\"";
      ev.field("name") += "\"transfer\"";
      append(ev.field("id"), id);
      if (!t.outgoing) ev.field("bp") += "\"e\"";
      append_microseconds(ev.field("ts"), t.outgoing ? start : end - 500);
      ev.close();
    }
    for (const auto& s : r.samples) {
      ev.open('C', r.rank);
      ev.field("name") += "\"memory\"";
      append_microseconds(ev.field("ts"), s.time);
      append(ev.field("args"), "{\"rss\":", s.rss, ",\"tracked\":", s.memory, ",\"spilled\":", s.spilled, "}");
      ev.close();
      ev.open('C', r.rank);
      ev.field("name") += "\"cpu %\"";
      append_microseconds(ev.field("ts"), s.time);
      ev.field("args") += "{\"cpu\":";
      append_decimal(out, s.cpu_percent, 1);
      out += '}';
      ev.close();
    }
  }
  out += "\n]}\n";
  return out;
}

}  // namespace tessera::diagnostics
