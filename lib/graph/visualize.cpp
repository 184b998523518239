// Graphviz output. Small graphs are drawn node by node (tasks as circles,
// data as boxes, like dask.visualize); beyond `summarise_above` nodes the
// drawing would be unreadable and slow to lay out, so it shows one node per
// key name with its task count, and edges between names with their counts.
#include <tessera/graph.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <sys/wait.h>

namespace tessera {
namespace {

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

[[noreturn]] void input_error(std::string message, std::string hint = {}) {
  throw_error(ErrorKind::input, std::move(message), std::move(hint));
}

}  // namespace

std::string Graph::to_dot(std::size_t summarise_above) const {
  validate();
  std::string dot = "digraph tessera {\n  rankdir=BT;\n  node [fontname=\"Helvetica\"];\n";
  if (nodes_.size() <= summarise_above) {
    for (NodeId id = 0; id < nodes_.size(); ++id) {
      const Node& n = nodes_[id];
      dot += "  n" + std::to_string(id) + " [label=" + quoted(n.key.str()) +
             (n.is_data() ? ", shape=box" : ", shape=ellipse") + "];\n";
      for (NodeId dep : deps(id)) dot += "  n" + std::to_string(dep) + " -> n" + std::to_string(id) + ";\n";
    }
    return dot + "}\n";
  }
  std::map<std::string_view, std::size_t> counts;
  std::map<std::pair<std::string_view, std::string_view>, std::size_t> edges;
  for (NodeId id = 0; id < nodes_.size(); ++id) {
    auto name = nodes_[id].key.name().str();
    ++counts[name];
    for (NodeId dep : deps(id)) ++edges[{nodes_[dep].key.name().str(), name}];
  }
  dot += "  label=" + quoted(std::to_string(nodes_.size()) + " tasks, summarised by key name") + ";\n";
  for (const auto& [name, count] : counts) {
    dot += "  " + quoted(name) + " [shape=box3d, label=" + quoted(std::string(name) + "\\n" +
                                                                  std::to_string(count) + " tasks") + "];\n";
  }
  for (const auto& [edge, count] : edges) {
    dot += "  " + quoted(edge.first) + " -> " + quoted(edge.second) + " [label=" +
           quoted(std::to_string(count)) + "];\n";
  }
  return dot + "}\n";
}

void Graph::visualize(const std::string& path, std::size_t summarise_above) const {
  const std::string dot = to_dot(summarise_above);
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
