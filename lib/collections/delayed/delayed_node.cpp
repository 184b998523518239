// Delayed graphs at run time: turn the linked DelayedNodes reachable from
// the outputs into a Graph (post-order, so ids are topological and only what
// the outputs need is included), then hand it to compute_nodes.
#include <tessera/delayed.hpp>

#include <tessera/runtime.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <dlfcn.h>
#include <mutex>
#include <map>
#include <set>
#include <string>

namespace tessera::detail {

DelayedNode::~DelayedNode() {
  // Releasing deps recursively would put a chain's whole length on the
  // stack. Instead the outermost destructor on this thread drains a work
  // list on its own stack frame; nested destructors only add to it. The
  // thread_local is a plain pointer on purpose: graphs held by statics die
  // after the main thread's thread_locals, and a pointer has nothing to destroy.
  thread_local std::vector<DelayedNodePtr>* pending = nullptr;
  if (pending) {
    for (auto& dep : deps) {
      if (dep.use_count() == 1) pending->push_back(std::move(dep));
    }
    deps.clear();
    return;
  }
  std::vector<DelayedNodePtr> list;
  for (auto& dep : deps) {
    if (dep.use_count() == 1) list.push_back(std::move(dep));
  }
  deps.clear();
  pending = &list;
  while (!list.empty()) {
    DelayedNodePtr last = std::move(list.back());
    list.pop_back();
    last.reset();  // may push its own deps onto `list`
  }
  pending = nullptr;
}

namespace {

// Node -> id while a graph is built: open addressing on the node's address,
// sized up front. A std::unordered_map allocates per entry and was the
// largest part of turning a million-node Delayed graph into a Graph.
class NodeIds {
 public:
  static constexpr NodeId none = ~NodeId{0};

  NodeId find(const DelayedNode* node) const {
    if (slots_.empty()) return none;
    for (std::size_t i = slot_of(node);; i = (i + 1) & mask_) {
      if (slots_[i].node == node) return slots_[i].id;
      if (!slots_[i].node) return none;
    }
  }

  void insert(const DelayedNode* node, NodeId id) {
    if ((count_ + 1) * 2 > slots_.size()) grow();
    std::size_t i = slot_of(node);
    while (slots_[i].node) i = (i + 1) & mask_;
    slots_[i] = {node, id};
    ++count_;
  }

 private:
  struct Slot {
    const DelayedNode* node = nullptr;
    NodeId id = 0;
  };

  std::size_t slot_of(const DelayedNode* node) const {
    auto bits = reinterpret_cast<std::uintptr_t>(node);
    return static_cast<std::size_t>((bits >> 4) * 0x9e3779b97f4a7c15ull >> 20) & mask_;
  }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(std::max<std::size_t>(64, old.size() * 2), Slot{});
    mask_ = slots_.size() - 1;
    count_ = 0;
    for (const Slot& s : old) {
      if (s.node) insert(s.node, s.id);
    }
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0, count_ = 0;
};

}  // namespace

std::int64_t next_delayed_index() {
  static std::atomic<std::int64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

// The counter keeps calls apart that have the same function and arguments
// (Dask's pure=False): the token alone would merge them.
Key call_key(KeyName name, const TokenHasher& token) {
  const std::int64_t index = next_delayed_index();
  return Key(name, token.value() | 1, std::span<const std::int64_t>(&index, 1));  // odd: never 0, "no token"
}

std::string callable_name(const std::type_info& type, void (*function)(), std::string_view fallback) {
  // dladdr and demangling cost microseconds: once per function or type (submit in a loop asks each time).
  static std::mutex mutex;
  static std::map<std::pair<const void*, const void*>, std::string> names;
  const std::pair<const void*, const void*> id{&type, reinterpret_cast<const void*>(function)};
  {
    std::lock_guard lock(mutex);
    if (auto it = names.find(id); it != names.end()) return it->second.empty() ? std::string(fallback) : it->second;
  }
  std::string full;
  if (function) {
    Dl_info info{};
    if (::dladdr(reinterpret_cast<void*>(function), &info) && info.dli_sname &&
        info.dli_saddr == reinterpret_cast<void*>(function)) {
      full = demangle(info.dli_sname);
    }
  } else {
    full = demangle(type.name());
    if (full.find('{') != std::string::npos || full.rfind("std::", 0) == 0) full.clear();  // a lambda, a std wrapper
  }
  // 'ns::load(int)' -> 'load', '(anonymous namespace)::Load<int>' -> 'Load'
  for (std::size_t at; (at = full.find("(anonymous namespace)::")) != std::string::npos;) full.erase(at, 23);
  full = full.substr(0, full.find_first_of("(<"));
  if (auto colon = full.rfind("::"); colon != std::string::npos) full = full.substr(colon + 2);
  {
    std::lock_guard lock(mutex);
    names.emplace(id, full);
  }
  if (full.empty()) return std::string(fallback);
  return full;
}

void warn_result_cannot_travel(const std::type_info& type, const Key& key) {
  static std::mutex mutex;
  static std::set<std::string> warned;
  {
    std::lock_guard lock(mutex);
    if (!warned.insert(type.name()).second) return;
  }
  const Runtime* runtime = Runtime::current();
  if (runtime && runtime->rank() != 0) return;
  const std::string text = "tessera: warning: task " + key.str() + " returns " + demangle(type.name()) +
                           ", which cannot travel between ranks: under mpirun a run fails when such a result must "
                           "move (give the type a tessera::Transport<T>, see <tessera/transport.hpp>)\n";
  std::fputs(text.c_str(), stderr);
}

Graph delayed_graph(std::span<const DelayedNodePtr> outputs, std::vector<NodeId>& ids,
                    const NodeSubstitute& substitute) {
  Graph graph;
  NodeIds id_of;
  auto resolve = [&](const DelayedNode* node) { return substitute ? substitute(node) : node; };
  struct Frame {
    const DelayedNode* node;
    std::uint32_t next;
  };
  std::vector<Frame> stack;
  std::vector<NodeId> dep_ids;
  ids.clear();
  for (const auto& out : outputs) {
    const DelayedNode* root = resolve(out.get());
    if (id_of.find(root) == NodeIds::none) {
      stack.push_back({root, 0});
      while (!stack.empty()) {
        Frame& top = stack.back();
        if (top.next < top.node->deps.size()) {
          const DelayedNode* dep = resolve(top.node->deps[top.next++].get());
          if (id_of.find(dep) == NodeIds::none) stack.push_back({dep, 0});
          continue;
        }
        const DelayedNode* node = top.node;
        stack.pop_back();
        if (id_of.find(node) != NodeIds::none) continue;  // reached twice while on the stack (diamond)
        dep_ids.clear();
        for (const auto& dep : node->deps) dep_ids.push_back(id_of.find(resolve(dep.get())));
        NodeId id = node->persisted     ? graph.add_persisted(node->key, node->persisted, node->location, node->nbytes)
                    : node->location >= 0 ? graph.add_persisted(node->key, node->data, node->location, node->nbytes)
                                          : graph.add_resolved(node->key, node->fn, node->data, dep_ids);
        if (!node->annotations.empty()) graph.annotate(id, node->annotations);
        id_of.insert(node, id);
      }
    }
    ids.push_back(id_of.find(root));
  }
  return graph;
}

namespace {
// The Graph for `outputs`, fused when asked; ids are the outputs' nodes in it.
Graph prepared_graph(std::span<const DelayedNodePtr> outputs, const ComputeOptions& options, std::vector<NodeId>& ids) {
  Graph graph = delayed_graph(outputs, ids);
  if (!options.fuse) return graph;
  std::vector<Key> keep;
  for (NodeId id : ids) keep.push_back(graph.node(id).key);
  Graph fused = fuse_linear(graph, keep);
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = fused.find(keep[i]);
  return fused;
}
}  // namespace

std::vector<Value> compute_delayed(std::span<const DelayedNodePtr> outputs, const ComputeOptions& options) {
  std::vector<NodeId> ids;
  Graph graph = prepared_graph(outputs, options, ids);
  return compute_nodes(graph, ids, options);
}

std::vector<PersistedResult> persist_delayed(std::span<const DelayedNodePtr> outputs, const ComputeOptions& options) {
  std::vector<NodeId> ids;
  Graph graph = prepared_graph(outputs, options, ids);
  return persist_nodes(graph, ids, options);
}

}  // namespace tessera::detail
