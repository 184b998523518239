// Validation: every reference resolves, no key is used twice, no cycles.
// The cycle search is an iterative depth-first walk (graphs of a million
// nodes in a chain must not overflow the stack); on a back edge the path
// on the stack from the repeated node is the cycle, which the error lists.
#include <tessera/graph.hpp>

#include <cstdint>

namespace tessera {

void Graph::validate() const {
  if (validated_ && pending_.empty() && indexed_ == nodes_.size()) return;
  resolve();

  enum : std::uint8_t { unseen, on_stack, done };
  std::vector<std::uint8_t> state(nodes_.size(), unseen);
  struct Frame {
    NodeId node;
    std::uint32_t next_dep;
  };
  std::vector<Frame> stack;
  for (NodeId root = 0; root < nodes_.size(); ++root) {
    if (state[root] != unseen) continue;
    stack.push_back({root, 0});
    state[root] = on_stack;
    while (!stack.empty()) {
      Frame& top = stack.back();
      auto node_deps = deps(top.node);
      if (top.next_dep == node_deps.size()) {
        state[top.node] = done;
        stack.pop_back();
        continue;
      }
      NodeId dep = node_deps[top.next_dep++];
      if (state[dep] == unseen) {
        state[dep] = on_stack;
        stack.push_back({dep, 0});
      } else if (state[dep] == on_stack) {
        std::string path;
        bool in_cycle = false;
        for (const Frame& f : stack) {
          in_cycle = in_cycle || f.node == dep;
          if (in_cycle) path += nodes_[f.node].key.str() + " -> ";
        }
        path += nodes_[dep].key.str();
        ErrorInfo info;
        info.kind = ErrorKind::graph;
        info.message = "the graph has a cycle: " + path;
        info.key = nodes_[dep].key.str();
        info.hint = "a task cannot depend, directly or not, on its own result";
        throw_error(std::move(info));
      }
    }
  }
  validated_ = true;
}

void Graph::validate_structure() const {
  if (!pending_.empty()) return validate();
  for (NodeId id = 0; id < nodes_.size(); ++id) {
    for (NodeId dep : deps(id)) {
      if (dep >= id) return validate();
    }
  }
}

}  // namespace tessera
