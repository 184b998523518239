// Futures on the replicated driver, over the futures service
// (include/tessera/detail/future_service.hpp).
//
// submit() turns a Delayed call into service entries: first its Delayed
// inputs that are not futures (each once, in post-order), then the task,
// wrapped so that a failure becomes a value (FutureError) that fails only
// this future and those that depend on it. Every rank adds the same entries
// in the same order, so they get the same numbers everywhere.
#include <tessera/futures.hpp>

#include "graph/task_error.hpp"

#include <unordered_map>

namespace tessera::detail {
namespace {

ErrorInfo cancelled_info(const Key& key) {
  ErrorInfo info;
  info.kind = ErrorKind::cancelled;
  info.key = key.str();
  info.message = "future " + key.str() + " was cancelled";
  return info;
}

void throw_if_failed(const Value& value) {
  if (const auto* failure = value.get_if<FutureError>()) throw_error(failure->info);
}

// A failed input fails the task without running it; an exception becomes a
// FutureError value; a cancelled task does not run.
TaskFunction wrapped(TaskFunction inner, const Key& key, int retries, std::shared_ptr<std::atomic<bool>> cancelled) {
  return TaskFunction([inner = std::move(inner), key, retries, cancelled = std::move(cancelled)](TaskArgs args, const Key& own_key) -> Value {
    if (cancelled && cancelled->load()) return Value::of(FutureError{cancelled_info(key)});
    for (const Value* arg : args) {
      if (arg->get_if<FutureError>()) return *arg;  // an input failed: so does this
    }
    for (int attempt = 0;; ++attempt) {
      try {
        return inner(args, own_key);
      } catch (...) {
        if (attempt < retries) continue;
        return Value::of(FutureError{graph::task_error_info(key, std::current_exception())});
      }
    }
  });
}

// The service entry of every input `task` needs, adding the Delayed ones
// that are not futures yet (iteratively: a long chain must not use the stack).
std::vector<std::uint64_t> input_entries(const DelayedNode& task, FutureService& service) {
  std::unordered_map<const DelayedNode*, std::uint64_t> added;
  auto known = [&](const DelayedNode* node) -> std::uint64_t {
    if (node->future_entry) return node->future_entry;
    auto it = added.find(node);
    return it == added.end() ? 0 : it->second;
  };
  struct Frame {
    const DelayedNode* node;
    std::size_t next;
  };
  std::vector<Frame> stack;
  for (const auto& dep : task.deps) {
    if (known(dep.get())) continue;
    stack.push_back({dep.get(), 0});
    while (!stack.empty()) {
      Frame& top = stack.back();
      if (top.next < top.node->deps.size()) {
        const DelayedNode* next = top.node->deps[top.next++].get();
        if (!known(next)) stack.push_back({next, 0});
        continue;
      }
      const DelayedNode* node = top.node;
      stack.pop_back();
      if (known(node)) continue;
      ServiceEntry entry;
      entry.key = node->key;
      if (node->fn) {
        entry.fn = wrapped(node->fn, node->key, 0, nullptr);
        for (const auto& d : node->deps) entry.deps.push_back(known(d.get()));
        entry.annotations = node->annotations;
      } else {
        entry.data = node->persisted ? node->persisted.get() : node->data;  // the service holds it, counted
        entry.location = node->location;
        entry.nbytes = node->location >= 0 ? node->nbytes : entry.data.nbytes();
      }
      added.emplace(node, service.add(std::move(entry)));
    }
  }
  std::vector<std::uint64_t> entries;
  for (const auto& dep : task.deps) entries.push_back(known(dep.get()));
  return entries;
}

thread_local int submit_depth = 0;

}  // namespace

SubmitScope::SubmitScope() { ++submit_depth; }
SubmitScope::~SubmitScope() { --submit_depth; }
bool building_submit() { return submit_depth > 0; }

FutureState::~FutureState() {
  if (entry && FutureService::running()) FutureService::instance().release(entry);
}

FutureStatePtr submit_node(DelayedNodePtr task, const SubmitOptions& options) {
  FutureService& service = FutureService::instance();
  auto state = std::make_shared<FutureState>();
  state->key = task->key;
  state->cancel_flag = std::make_shared<std::atomic<bool>>(false);
  ServiceEntry entry;
  entry.key = task->key;
  entry.deps = input_entries(*task, service);
  entry.annotations.restricted_to = options.rank;
  entry.fn = wrapped(task->fn, task->key, options.retries, state->cancel_flag);
  entry.has_handle = true;
  state->entry = service.add(std::move(entry));
  auto node = std::make_shared<DelayedNode>();
  node->key = task->key;
  node->future_entry = state->entry;
  state->node = std::move(node);
  return state;
}

FutureStatePtr scatter_node(Value value, bool broadcast) {
  static int next_holder = 0;  // round robin over scatter calls: the same sequence on every rank
  FutureService& service = FutureService::instance();
  const int ranks = service.ranks();
  const int holder = broadcast || ranks == 1 ? -1 : next_holder++ % ranks;
  TokenHasher token;
  token.add(std::string_view("scatter"));
  token.add(value.type_name());
  token.mix(value.content_token());
  auto state = std::make_shared<FutureState>();
  state->key = call_key(KeyName("scatter"), token);
  ServiceEntry entry;
  entry.key = state->key;
  entry.location = holder;
  entry.nbytes = value.nbytes();
  entry.has_handle = true;
  auto node = std::make_shared<DelayedNode>();
  node->key = state->key;
  node->location = holder;
  node->nbytes = entry.nbytes;
  if (holder < 0 || holder == service.rank()) node->data = value;
  entry.data = std::move(value);
  state->entry = service.add(std::move(entry));
  node->future_entry = state->entry;
  state->node = std::move(node);
  return state;
}

void wait_states(std::span<const FutureStatePtr> states) {
  std::vector<std::uint64_t> entries;
  for (const auto& s : states) entries.push_back(s->entry);
  FutureService::instance().wait(entries);
}

std::size_t next_completed(std::span<const FutureStatePtr> states, const std::vector<bool>& taken) {
  std::vector<std::uint64_t> entries;
  for (const auto& s : states) entries.push_back(s->entry);
  return FutureService::instance().wait_next(entries, taken);
}

DelayedNodePtr value_node(const FutureState& state) {
  auto node = std::make_shared<DelayedNode>();
  node->key = state.key;
  node->data = result_value(state);
  return node;
}

bool is_done(const FutureState& state) { return FutureService::instance().status(state.entry).done; }

// Every rank that cancels sees the future cancelled; whether the task still
// runs is rank 0's one decision (not if it has started), so its dependents
// fail alike everywhere.
void cancel_state(FutureState& state) {
  if (state.cancelled) return;
  state.cancelled = true;
  state.cancel_flag->store(true);
  FutureService::instance().cancel(state.entry);
}

Value result_value(const FutureState& state) {
  if (state.cancelled) throw_error(cancelled_info(state.key));
  auto values = FutureService::instance().values(std::span<const std::uint64_t>(&state.entry, 1));
  throw_if_failed(values[0]);
  return values[0];
}

std::vector<Value> result_values(std::span<const FutureStatePtr> states) {
  std::vector<std::uint64_t> entries;
  for (const auto& s : states) {
    if (s->cancelled) throw_error(cancelled_info(s->key));
    entries.push_back(s->entry);
  }
  auto values = FutureService::instance().values(entries);
  for (const auto& v : values) throw_if_failed(v);
  return values;
}

}  // namespace tessera::detail
