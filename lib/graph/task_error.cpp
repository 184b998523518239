#include "graph/task_error.hpp"

#include "graph/crash_report.hpp"

#include <atomic>
#include <typeinfo>

namespace tessera::graph {
namespace {
std::atomic<int> this_process_rank{0};
static_assert(std::atomic<int>::is_always_lock_free, "crash reports read it in a signal handler");
}  // namespace

void set_process_rank(int rank) { this_process_rank.store(rank, std::memory_order_relaxed); }
int process_rank() { return this_process_rank.load(std::memory_order_relaxed); }

ErrorInfo task_error_info(const Key& key, std::exception_ptr error) {
  ErrorInfo info;
  info.kind = ErrorKind::task;
  info.key = key.str();
  info.rank = process_rank();
  try {
    std::rethrow_exception(error);
  } catch (const TaskError& e) {
    ErrorInfo inner = e.info();
    if (inner.rank < 0) inner.rank = info.rank;
    return inner;
  } catch (const MemoryError& e) {  // not the task's fault: keep the kind, name the key
    ErrorInfo memory = e.info();
    if (memory.key.empty()) memory.key = info.key;
    if (memory.rank < 0) memory.rank = info.rank;
    return memory;
  } catch (const std::exception& e) {
    info.original_type = demangle(typeid(e).name());
    info.message = e.what();
  } catch (...) {
    info.original_type = "unknown";
    info.message = "a task threw something that is not a std::exception";
  }
  return info;
}

Value run_task(const Graph::Node& node, TaskArgs args) {
  Value result;
  {
    RunningTask running(node.key);  // named if the task crashes the process
    result = node.fn(args, node.key);
  }
  if (!result) {
    ErrorInfo info;
    info.kind = ErrorKind::task;
    info.key = node.key.str();
    info.rank = process_rank();
    info.message = "returned no value";
    info.hint = "a TaskFunction must return a Value holding its result (None for nothing)";
    throw_error(std::move(info));
  }
  return result;
}

}  // namespace tessera::graph
