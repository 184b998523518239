// Graphviz output. Small graphs are drawn node by node (tasks as circles,
// data as boxes, like dask.visualize); beyond `summarise_above` nodes the
// drawing would be unreadable and slow to lay out, so it shows one node per
// key name with its task count, and edges between names with their counts.
#include <tessera/graph.hpp>
#include <tessera/size.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <string_view>
#include <vector>
#include <sys/wait.h>

namespace tessera {
namespace {

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\n') {  // a line break in a label: DOT's escape for it
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

[[noreturn]] void input_error(std::string message, std::string hint = {}) {
  throw_error(ErrorKind::input, std::move(message), std::move(hint));
}

// Fill colours (ColorBrewer Set3 and Pastel1, light enough for black text): by
// key name (a key's token is kept apart from its name, so the name is the
// prefix), or by rank when a run's facts say where each task ran.
constexpr const char* palette[] = {"#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
                                   "#b3de69", "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f",
                                   "#fbb4ae", "#b3cde3", "#decbe4", "#fed9a6", "#e5d8bd", "#f2f2f2"};
constexpr std::size_t palette_size = sizeof palette / sizeof palette[0];

}  // namespace

std::string Graph::to_dot(std::size_t summarise_above, const RunFacts* facts) const {
  validate();
  std::string dot = "digraph tessera {\n  rankdir=BT;\n  node [fontname=\"Helvetica\", style=filled];\n";
  std::map<std::string_view, std::size_t> colour_of_prefix;
  auto prefix_colour = [&](std::string_view name) {
    auto [it, added] = colour_of_prefix.try_emplace(name, colour_of_prefix.size());
    return palette[it->second % palette_size];
  };
  auto rank_of = [&](const std::string& key) {
    if (!facts) return -1;
    auto it = facts->rank.find(key);
    return it == facts->rank.end() ? -1 : it->second;
  };
  auto bytes_of = [&](NodeId id, const std::string& key) -> std::uint64_t {
    if (facts) {
      auto it = facts->bytes.find(key);
      if (it != facts->bytes.end()) return it->second;
    }
    return nodes_[id].annotations.expected_bytes;
  };
  if (nodes_.size() <= summarise_above) {
    std::vector<std::string> keys(nodes_.size());
    for (NodeId id = 0; id < nodes_.size(); ++id) keys[id] = nodes_[id].key.str();
    for (NodeId id = 0; id < nodes_.size(); ++id) {
      const Node& n = nodes_[id];
      const int rank = rank_of(keys[id]);
      std::string label = keys[id];
      if (rank >= 0) label.append("\nrank ").append(std::to_string(rank));
      const char* colour = rank >= 0 ? palette[static_cast<std::size_t>(rank) % palette_size]
                                     : (n.is_data() ? "white" : prefix_colour(n.key.name().str()));
      dot += "  n" + std::to_string(id) + " [label=" + quoted(label) + (n.is_data() ? ", shape=box" : ", shape=ellipse") +
             ", fillcolor=" + quoted(colour) + "];\n";
      for (NodeId dep : deps(id)) {
        dot += "  n" + std::to_string(dep) + " -> n" + std::to_string(id);
        const std::uint64_t moved = bytes_of(dep, keys[dep]);
        // With facts: an edge between ranks is a transfer, drawn bold with its bytes.
        if (facts && rank >= 0 && rank_of(keys[dep]) >= 0 && rank_of(keys[dep]) != rank) {
          dot += " [style=bold, label=" + quoted(format_size(moved)) + "]";
        }
        dot += ";\n";
      }
    }
    return dot + "}\n";
  }
  struct EdgeTotal {
    std::size_t count = 0;
    std::uint64_t bytes = 0;
  };
  std::map<std::string_view, std::size_t> counts;
  std::map<std::string_view, std::map<int, std::size_t>> ranks_of_name;
  std::map<std::pair<std::string_view, std::string_view>, EdgeTotal> edges;
  for (NodeId id = 0; id < nodes_.size(); ++id) {
    auto name = nodes_[id].key.name().str();
    ++counts[name];
    const std::string key = facts || nodes_[id].annotations.expected_bytes ? nodes_[id].key.str() : std::string();
    if (facts) {
      if (const int rank = rank_of(key); rank >= 0) ++ranks_of_name[name][rank];
    }
    for (NodeId dep : deps(id)) {
      auto& edge = edges[{nodes_[dep].key.name().str(), name}];
      ++edge.count;
      if (facts || nodes_[dep].annotations.expected_bytes) edge.bytes += bytes_of(dep, nodes_[dep].key.str());
    }
  }
  dot += "  label=" + quoted(std::to_string(nodes_.size()) + " tasks, summarised by key name" +
                             (facts ? "; colour: the rank that ran most of them" : "")) + ";\n";
  for (const auto& [name, count] : counts) {
    std::string label = std::string(name) + "\n" + std::to_string(count) + " tasks";
    const char* colour = prefix_colour(name);
    if (auto it = ranks_of_name.find(name); it != ranks_of_name.end()) {
      std::string where;
      int most = -1;
      std::size_t most_n = 0;
      for (const auto& [rank, n] : it->second) {
        if (!where.empty()) where.append(", ");
        where.append("rank ").append(std::to_string(rank)).append(": ").append(std::to_string(n));
        if (n > most_n) {
          most = rank;
          most_n = n;
        }
      }
      label.append("\n").append(where);
      colour = palette[static_cast<std::size_t>(most) % palette_size];
    }
    dot += "  " + quoted(name) + " [shape=box3d, label=" + quoted(label) + ", fillcolor=" + quoted(colour) + "];\n";
  }
  for (const auto& [edge, total] : edges) {
    std::string label = std::to_string(total.count);
    if (total.bytes) label.append("\n").append(format_size(total.bytes));
    dot += "  " + quoted(edge.first) + " -> " + quoted(edge.second) + " [label=" + quoted(label) + "];\n";
  }
  return dot + "}\n";
}

void Graph::visualize(const std::string& path, std::size_t summarise_above, const RunFacts* facts) const {
  const std::string dot = to_dot(summarise_above, facts);
  auto dot_pos = path.rfind('.');
  std::string format = dot_pos == std::string::npos ? "dot" : path.substr(dot_pos + 1);
  if (format == "dot" || format == "gv") {
    std::ofstream out(path);
    out << dot;
    if (!out) input_error("cannot write the graph drawing to " + path);
    return;
  }
  if (format != "svg" && format != "png" && format != "pdf") {
    input_error("cannot draw a graph as '" + format + "' (" + path + ")", "use .dot, .svg, .png or .pdf");
  }
  const std::string command = "dot -T" + format + " -o " + quoted(path) + " 2>&1";
  FILE* pipe = popen(command.c_str(), "w");
  if (!pipe) input_error("cannot start Graphviz `dot` to draw " + path);
  std::fwrite(dot.data(), 1, dot.size(), pipe);
  int status = pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    input_error("Graphviz `dot` failed to draw " + path,
                "install graphviz (apt-get install graphviz), or write a .dot file instead");
  }
}

}  // namespace tessera
