// The performance report: one HTML file with d3 (Debian's libjs-d3), the
// page's script and the profile's data inlined, so that it opens anywhere
// with no network. report.js documents the DATA object written here.
#include <tessera/build_info.hpp>
#include <tessera/size.hpp>

#include "diagnostics/profile_data.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string_view>

namespace tessera::diagnostics {

extern const std::string_view report_template_html;  // generated from the files by cmake/embed_assets.cmake
extern const std::string_view report_js;
extern const std::string_view d3_js;

namespace {

std::string settings_json(const ProfileData& data) {
  std::string out = "[";
  auto row = [&out](std::string_view name, std::string_view value) {
    if (out.size() > 1) out += ",";
    out += "[";
    append_json_string(out, name);
    out += ",";
    append_json_string(out, value);
    out += "]";
  };
  auto per_rank = [&data](auto value_of) {
    std::string all;
    for (const auto& r : data.ranks) {
      if (!all.empty()) all.append(", ");
      all.append(value_of(r));
    }
    return all;
  };
  row("ranks", std::to_string(data.ranks.size()));
  row("worker threads per rank", per_rank([](const RankProfile& r) { return std::to_string(r.threads); }));
  row("hosts", per_rank([](const RankProfile& r) { return r.host.empty() ? std::string("-") : r.host; }));
  row("memory limit per rank", per_rank([](const RankProfile& r) { return format_size(r.memory_limit); }));
  row("spill directory", data.ranks.empty() || data.ranks[0].spill_dir.empty() ? std::string_view("(default)")
                                                                               : data.ranks[0].spill_dir);
  char interval[32];
  std::snprintf(interval, sizeof interval, "%.3g s", data.sample_interval);
  row("resource sample interval", data.sample_interval > 0 ? interval : "off");
  row("started (UTC)", data.started_utc);
  const BuildInfo build = build_info();
  row("version", std::string("tessera ").append(build.tessera));
  row("compiler", std::string(build.compiler).append(" (").append(build.build_type).append(")"));
  row("MPI", build.mpi);
  row("HDF5", build.hdf5);
  out += ']';
  return out;
}

std::string data_json(const ProfileData& data) {
  std::string out = "{\"title\":";
  append_json_string(out, data.title);
  append(out, ",\"settings\":", settings_json(data), ",\"ranks\":", data.ranks.size());
  out += ",\"duration_us\":";
  append_microseconds(out, data.duration());

  out += ",\"threads\":[";
  bool first = true;
  for (const auto& r : data.ranks) {
    for (const auto& t : r.thread_rows) {
      out += first ? "[" : ",[";
      first = false;
      append(out, r.rank, ',', t.id, ',');
      append_json_string(out, thread_name(t));
      out += "]";
    }
  }
  out += "]";

  // Runs and the tasks per prefix in them: rank 0's view (every rank sees every run).
  std::map<std::string, std::uint64_t> totals;
  out += ",\"runs\":[";
  if (!data.ranks.empty()) {
    first = true;
    for (const auto& run : data.ranks[0].runs) {
      std::uint64_t tasks = 0;
      for (const auto& [prefix, n] : run.tasks_by_prefix) {
        totals[prefix] += n;
        tasks += n;
      }
      out += first ? "[" : ",[";
      first = false;
      append_microseconds(out, run.start);
      out += ",";
      append_microseconds(out, run.end);
      append(out, ',', tasks, ']');
    }
  }
  out += "]";
  // Every prefix that ran, with the totals (at least what ran: futures have no run).
  std::map<std::string, std::uint64_t> done;
  for (const auto& r : data.ranks) {
    for (const auto& t : r.tasks) ++done[t.prefix];
  }
  for (const auto& [prefix, n] : done) totals[prefix] = std::max(totals[prefix], n);
  std::map<std::string, std::size_t> index;
  out += ",\"prefixes\":[";
  for (const auto& [prefix, n] : totals) {
    if (!index.empty()) out += ",";
    index.emplace(prefix, index.size());
    append_json_string(out, prefix);
  }
  out += "],\"prefix_totals\":[";
  first = true;
  for (const auto& [prefix, n] : totals) {
    if (!first) out += ',';
    append(out, n);
    first = false;
  }
  out += "]";

  out += ",\"tasks\":[";
  first = true;
  const TaskRow* failed = nullptr;
  int failed_rank = -1;
  for (const auto& r : data.ranks) {
    for (const auto& t : r.tasks) {
      out += first ? "[" : ",\n[";
      first = false;
      append(out, r.rank, ',', t.thread, ',', index[t.prefix], ',');
      append_json_string(out, t.key);
      out += ",";
      append_microseconds(out, t.start);
      out += ",";
      append_microseconds(out, t.end);
      append(out, ',', t.output_bytes, ',', t.fetched_bytes, ',', t.fetched_from, ',', t.spill_written, ',',
             t.spill_read, ',');
      append_microseconds(out, static_cast<std::int64_t>(t.spill_ns));
      out += t.error.empty() ? ",0]" : ",1]";
      if (!t.error.empty() && (!failed || t.end < failed->end)) {
        failed = &t;
        failed_rank = r.rank;
      }
    }
  }
  out += "]";

  out += ",\"transfers\":[";
  first = true;
  for (const auto& r : data.ranks) {
    for (const auto& t : r.transfers) {
      if (t.outgoing) continue;  // the receiver's view: when it waited, and what arrived
      out += first ? "[" : ",\n[";
      first = false;
      append(out, t.from, ',', t.to, ',', t.bytes, ',');
      append_microseconds(out, t.start);
      out += ",";
      append_microseconds(out, t.end);
      out += ",";
      append_json_string(out, t.key);
      out += "]";
    }
  }
  out += "]";

  out += ",\"samples\":[";
  first = true;
  for (const auto& r : data.ranks) {
    for (const auto& s : r.samples) {
      out += first ? "[" : ",\n[";
      first = false;
      append(out, r.rank, ',');
      append_microseconds(out, s.time);
      append(out, ',', s.rss, ',');
      append_decimal(out, s.cpu_percent, 1);
      append(out, ',', s.memory, ',', s.spilled, ']');
    }
  }
  out += "]";

  out += ",\"failure\":";
  if (!failed) {
    out += "null";
  } else {
    out += "{\"key\":";
    append_json_string(out, failed->key);
    append(out, ",\"rank\":", failed_rank, ",\"thread\":", failed->thread, ",\"message\":");
    append_json_string(out, failed->error);
    out += "}";
  }
  out += '}';
  return out;
}

}  // namespace

// Each placeholder is found in the template alone, in one pass, so that no
// text put in can be taken for a placeholder.
std::string html_report(const ProfileData& data) {
  const std::string json = data_json(data);
  const std::pair<std::string_view, std::string_view> parts[] = {
      {"/*TESSERA_D3*/", d3_js}, {"/*TESSERA_DATA*/", json}, {"/*TESSERA_REPORT_JS*/", report_js}};
  std::vector<std::pair<std::size_t, const std::pair<std::string_view, std::string_view>*>> at;
  for (const auto& part : parts) at.emplace_back(report_template_html.find(part.first), &part);
  std::sort(at.begin(), at.end());
  std::string page;
  page.reserve(report_template_html.size() + d3_js.size() + json.size() + report_js.size());
  std::size_t from = 0;
  for (const auto& [pos, part] : at) {
    if (pos == std::string_view::npos) continue;
    page.append(report_template_html.substr(from, pos - from));
    page.append(part->second);
    from = pos + part->first.size();
  }
  page.append(report_template_html.substr(from));
  return page;
}

}  // namespace tessera::diagnostics
