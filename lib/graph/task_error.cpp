#include "graph/task_error.hpp"

#include "graph/crash_report.hpp"

#include <typeinfo>

namespace tessera::graph {

ErrorInfo task_error_info(const Key& key, std::exception_ptr error) {
  ErrorInfo info;
  info.kind = ErrorKind::task;
  info.key = key.str();
  try {
    std::rethrow_exception(error);
  } catch (const TaskError& e) {
    return e.info();
  } catch (const MemoryError& e) {  // not the task's fault: keep the kind, name the key
    ErrorInfo memory = e.info();
    if (memory.key.empty()) memory.key = info.key;
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
    result = node.fn(args);
  }
  if (!result) {
    ErrorInfo info;
    info.kind = ErrorKind::task;
    info.key = node.key.str();
    info.message = "returned no value";
    info.hint = "a TaskFunction must return a Value holding its result (None for nothing)";
    throw_error(std::move(info));
  }
  return result;
}

}  // namespace tessera::graph
