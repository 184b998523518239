#include "schedule/checkpoint.hpp"

#include <tessera/checkpoint.hpp>
#include <tessera/log.hpp>
#include <tessera/token.hpp>

#include "config/setting_sources.hpp"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

namespace tessera {
namespace {

std::mutex& default_dir_mutex() {
  static std::mutex m;
  return m;
}
std::optional<std::string>& default_dir() {
  static std::optional<std::string> dir;
  return dir;
}

}  // namespace

void set_default_checkpoint_dir(std::string directory) {
  std::lock_guard lock(default_dir_mutex());
  default_dir() = std::move(directory);
  config::note_source("checkpoint_dir", "set_default_checkpoint_dir()");
}

std::string default_checkpoint_dir() {
  std::lock_guard lock(default_dir_mutex());
  if (!default_dir()) {
    const char* env = std::getenv("TESSERA_CHECKPOINT_DIR");
    default_dir() = env ? env : "";
    if (env && *env) config::note_source("checkpoint_dir", "TESSERA_CHECKPOINT_DIR");
  }
  return *default_dir();
}

}  // namespace tessera

namespace tessera::schedule {
namespace {

using memory::CheckpointRecord;

// Data is had again for free, and an exchange is a stage between ranks, not
// a result of one. A result whose fingerprint could not cover all it came
// from (fingerprint 0: see result_fingerprints) is neither read nor written.
bool checkpointable(const Graph::Node& node, std::uint64_t fingerprint) {
  return !node.is_data() && node.exchange_parts == 0 && fingerprint != 0;
}

// What rank 0 found: an error every rank throws, or which outputs to read
// back; with what rank 0's outputs were, so that a rank whose graph differs
// leaves it to the graph check instead of applying it to other outputs.
struct Plan {
  std::optional<ErrorInfo> error;
  std::uint64_t outputs = 0, outputs_token = 0;
  std::vector<std::pair<std::uint32_t, CheckpointRecord>> loads;  // output position, where it is
};

std::uint64_t outputs_token(std::span<const NodeId> outputs, std::span<const std::uint64_t> fingerprints) {
  TokenHasher h;
  h.mix(outputs.size());
  for (NodeId id : outputs) h.mix(fingerprints[id]);
  return h.value();
}

// A record's fields, in the order they travel: one list for writing and reading.
template <class Record, class Field>
void each_field(Record& r, Field&& field) {
  field(r.key_hash);
  field(r.fingerprint);
  field(r.writer);
  field(r.offset);
  field(r.length);
  field(r.type_id);
  field(r.contiguous);
  field(r.checksum);
}

std::string encode_plan(const Plan& plan) {
  std::vector<std::byte> bytes;
  ByteWriter out(bytes);
  out.put<std::uint8_t>(plan.error ? 1 : 0);
  out.put(plan.outputs);
  out.put(plan.outputs_token);
  if (plan.error) {
    out.put(*plan.error);
  } else {
    out.put<std::uint64_t>(plan.loads.size());
    for (const auto& [position, r] : plan.loads) {
      out.put(position);
      each_field(r, [&](const auto& f) {
        if constexpr (std::is_same_v<std::decay_t<decltype(f)>, bool>) {
          out.put<std::uint8_t>(f);
        } else {
          out.put(f);
        }
      });
    }
  }
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

Plan decode_plan(const std::string& text) {
  ByteReader in(std::as_bytes(std::span(text.data(), text.size())));
  Plan plan;
  const bool failed = in.get<std::uint8_t>() != 0;
  in.get(plan.outputs);
  in.get(plan.outputs_token);
  if (failed) {
    plan.error = in.get<ErrorInfo>();
    return plan;
  }
  plan.loads.resize(in.get<std::uint64_t>());
  for (auto& [position, r] : plan.loads) {
    in.get(position);
    each_field(r, [&](auto& f) {
      if constexpr (std::is_same_v<std::decay_t<decltype(f)>, bool>) {
        f = in.get<std::uint8_t>() != 0;
      } else {
        in.get(f);
      }
    });
  }
  return plan;
}

ErrorInfo different_graph(const std::string& directory, const std::string& where, const std::string& key,
                          std::uint64_t theirs, std::uint64_t ours) {
  ErrorInfo info;
  info.kind = ErrorKind::mismatch;
  info.key = key;
  info.message = "the checkpoint in " + directory + " was written by a different graph: its " + key +
                 " was computed from other inputs or parameters (fingerprint " + std::to_string(theirs) + " in " +
                 where + ", " + std::to_string(ours) + " here)";
  info.hint = "delete " + directory + " to start again, or give this persist() another checkpoint directory";
  return info;
}

// Rank 0: checks the manifest, adds this persist()'s new outputs to it, and finds what is written.
Plan make_plan(const Graph& graph, std::span<const NodeId> outputs, std::span<const std::uint64_t> fingerprints,
               const std::string& directory, int ranks) {
  Plan plan;
  auto stages = memory::read_manifest(directory);
  std::unordered_map<std::uint64_t, const memory::CheckpointOutput*> known;
  for (const auto& stage : stages) {
    for (const auto& output : stage.outputs) known[output.key_hash] = &output;
  }
  std::size_t unfingerprinted = 0;
  for (NodeId id : outputs) unfingerprinted += !graph.node(id).is_data() && fingerprints[id] == 0;
  if (unfingerprinted > 0) {
    log(LogLevel::warn, "checkpoint " + directory + ": " + std::to_string(unfingerprinted) +
                            " outputs depend on a literal whose type has no content token (it cannot travel), "
                            "so a checkpoint could not tell it changed: they are computed every time, not checkpointed");
  }
  memory::CheckpointStage added{ranks, {}};
  std::unordered_set<std::uint64_t> adding;
  int written_on = 0;  // ranks of the stage that wrote our outputs, for the log
  for (NodeId id : outputs) {
    const Graph::Node& node = graph.node(id);
    if (!checkpointable(node, fingerprints[id])) continue;
    const std::uint64_t key_hash = node.key.hash();
    if (auto it = known.find(key_hash); it != known.end()) {
      if (it->second->fingerprint != fingerprints[id]) {
        plan.error = different_graph(directory, "MANIFEST", node.key.str(), it->second->fingerprint, fingerprints[id]);
        return plan;
      }
    } else if (adding.insert(key_hash).second) {
      added.outputs.push_back({key_hash, fingerprints[id], node.key.str()});
    }
  }
  for (const auto& stage : stages) {
    if (!stage.outputs.empty() && known.count(stage.outputs.front().key_hash)) written_on = stage.ranks;
  }
  if (!added.outputs.empty()) {
    stages.push_back(std::move(added));
    memory::write_manifest(directory, stages);
  }
  std::unordered_map<std::uint64_t, CheckpointRecord> written;
  for (const CheckpointRecord& r : memory::read_index(directory)) written[r.key_hash] = r;  // a later line wins
  for (std::uint32_t position = 0; position < outputs.size(); ++position) {
    const Graph::Node& node = graph.node(outputs[position]);
    if (!checkpointable(node, fingerprints[outputs[position]])) continue;
    auto it = written.find(node.key.hash());
    if (it == written.end()) continue;
    if (it->second.fingerprint != fingerprints[outputs[position]]) {
      plan.error = different_graph(directory, "rank-" + std::to_string(it->second.writer) + ".index", node.key.str(),
                                   it->second.fingerprint, fingerprints[outputs[position]]);
      return plan;
    }
    plan.loads.emplace_back(position, it->second);
  }
  if (!plan.loads.empty() && log_enabled(LogLevel::info)) {
    std::string line = "checkpoint " + directory + ": reading " + std::to_string(plan.loads.size()) + " of " +
                       std::to_string(outputs.size()) + " outputs";
    if (written_on && written_on != ranks) {
      line += " (written on " + std::to_string(written_on) + " ranks, read on " + std::to_string(ranks) + ")";
    }
    log(LogLevel::info, line);
  }
  return plan;
}

// Reads one checkpointed output back.
class CheckpointLoad {
 public:
  CheckpointLoad(std::string directory, CheckpointRecord record)
      : directory_(std::move(directory)), record_(record) {}
  Value operator()(TaskArgs, const Key& key) const { return memory::read_checkpointed(directory_, record_, key.str()); }

 private:
  std::string directory_;
  CheckpointRecord record_;
};

// Runs the output's own function, then writes the result to this rank's files.
class CheckpointWrite {
 public:
  CheckpointWrite(TaskFunction inner, std::shared_ptr<memory::CheckpointWriter> writer, std::uint64_t fingerprint)
      : inner_(std::move(inner)), writer_(std::move(writer)), fingerprint_(fingerprint) {}
  Value operator()(TaskArgs args, const Key& key) const {
    Value result = inner_(args, key);
    writer_->write(key.hash(), fingerprint_, result, key.str());
    return result;
  }

 private:
  TaskFunction inner_;
  std::shared_ptr<memory::CheckpointWriter> writer_;
  std::uint64_t fingerprint_;
};

// What `outputs` need, dependencies first, not looking past the nodes `stop` says.
template <class Stop>
std::vector<NodeId> needed_in_order(const Graph& graph, std::span<const NodeId> outputs, Stop stop) {
  std::vector<std::uint8_t> state(graph.size(), 0);  // 0 unseen, 1 its dependencies pending, 2 placed
  std::vector<NodeId> order, stack;
  for (auto it = outputs.rbegin(); it != outputs.rend(); ++it) stack.push_back(*it);
  while (!stack.empty()) {
    const NodeId id = stack.back();
    if (state[id] == 2) {
      stack.pop_back();
      continue;
    }
    if (state[id] == 1) {
      state[id] = 2;
      order.push_back(id);
      stack.pop_back();
      continue;
    }
    state[id] = 1;
    if (stop(id)) continue;
    const auto deps = graph.deps(id);
    for (auto it = deps.rbegin(); it != deps.rend(); ++it) {
      if (state[*it] == 0) stack.push_back(*it);
    }
  }
  return order;
}

}  // namespace

std::vector<std::uint64_t> result_fingerprints(const Graph& graph, std::span<const NodeId> outputs) {
  std::vector<std::uint64_t> fingerprints(graph.size());
  for (NodeId id : needed_in_order(graph, outputs, [](NodeId) { return false; })) {
    const Graph::Node& node = graph.node(id);
    // A literal of a type with no content token (it cannot travel) is not
    // covered: what depends on it gets 0, and is computed every time.
    const bool opaque_literal = node.is_data() && !node.persisted && node.location < 0 && node.content == 0 &&
                                node.data && !node.data.holder()->codec().travels;
    const auto deps = graph.deps(id);
    if (opaque_literal || std::any_of(deps.begin(), deps.end(), [&](NodeId d) { return fingerprints[d] == 0; })) {
      fingerprints[id] = 0;
      continue;
    }
    TokenHasher h;
    h.mix(node.key.hash());
    h.mix(node.content);
    h.mix(node.is_data() ? 1 : 2);
    h.mix(static_cast<std::uint64_t>(node.exchange_parts));
    h.mix(static_cast<std::uint64_t>(node.exchange_part + 1));
    for (NodeId dep : graph.deps(id)) h.mix(fingerprints[dep]);
    fingerprints[id] = h.value() | 1;  // never 0
  }
  return fingerprints;
}

CheckpointedGraph plan_checkpoint(const Graph& graph, std::span<const NodeId> outputs, const std::string& directory,
                                  Network* network) {
  const int rank = network ? network->rank() : 0, ranks = network ? network->size() : 1;
  // A `sync` run under several ranks runs everything on every rank: each
  // reads the directory itself and writes files of its own rank.
  const int writer_rank = network ? rank : current_network() ? current_network()->rank() : 0;
  const auto fingerprints = result_fingerprints(graph, outputs);
  const std::uint64_t our_outputs = outputs_token(outputs, fingerprints);
  auto writer = std::make_shared<memory::CheckpointWriter>(directory, writer_rank);
  Plan plan;
  if (rank == 0) {
    try {
      plan = make_plan(graph, outputs, fingerprints, directory, ranks);
    } catch (const Error& e) {
      plan.error = e.info();
    } catch (const std::exception& e) {  // bad_alloc, length_error: still every rank's error, not rank 0's alone
      plan.error = error_info(ErrorKind::input, "reading the checkpoint in " + directory + ": " + e.what());
    }
    plan.outputs = outputs.size();
    plan.outputs_token = our_outputs;
  }
  if (network) plan = decode_plan(network->broadcast_text(rank == 0 ? encode_plan(plan) : std::string(), 0, "persist()"));
  if (plan.outputs != outputs.size() || plan.outputs_token != our_outputs) {
    // This rank built another graph than rank 0: the run's graph check says so, on every rank.
    return {graph, {outputs.begin(), outputs.end()}, std::move(writer)};
  }
  if (plan.error) {
    ErrorInfo info = *plan.error;
    info.rank = network ? 0 : writer_rank;
    throw_error(std::move(info));
  }

  const std::size_t n = graph.size();
  std::vector<const CheckpointRecord*> load(n, nullptr);
  for (const auto& [position, record] : plan.loads) load[outputs[position]] = &record;
  std::vector<std::uint8_t> write(n, 0);
  for (NodeId id : outputs) write[id] = checkpointable(graph.node(id), fingerprints[id]) && !load[id];
  CheckpointedGraph out;
  out.writer = std::move(writer);
  constexpr NodeId none = ~NodeId{0};
  std::vector<NodeId> renamed(n, none);
  std::vector<NodeId> deps;
  const std::uint64_t directory_token = hash_bytes(std::as_bytes(std::span(directory.data(), directory.size())));
  for (NodeId id : needed_in_order(graph, outputs, [&](NodeId id) { return load[id] != nullptr; })) {
    const Graph::Node& node = graph.node(id);
    if (const CheckpointRecord* record = load[id]) {
      Graph::Node read;
      read.key = node.key;
      read.fn = TaskFunction(CheckpointLoad(directory, *record));
      read.nbytes = node.nbytes;
      // Back where it was made when the rank count is the same; spread over the ranks otherwise.
      read.annotations.preferred_ranks = {record->writer % ranks};
      read.annotations.expected_bytes = record->length;
      TokenHasher h;
      h.mix(directory_token);
      h.mix(record->checksum);
      read.content = h.value();
      renamed[id] = out.graph.add_copy(read, {});
      continue;
    }
    deps.clear();
    for (NodeId dep : graph.deps(id)) deps.push_back(renamed[dep]);
    if (write[id]) {
      Graph::Node writing = node;
      writing.fn = TaskFunction(CheckpointWrite(node.fn, out.writer, fingerprints[id]));
      renamed[id] = out.graph.add_copy(writing, deps);
    } else {
      renamed[id] = out.graph.add_copy(node, deps);
    }
  }
  out.outputs.reserve(outputs.size());
  for (NodeId id : outputs) out.outputs.push_back(renamed[id]);
  return out;
}

}  // namespace tessera::schedule
