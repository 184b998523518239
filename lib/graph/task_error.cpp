#include "graph/task_error.hpp"

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
  } catch (const std::exception& e) {
    info.original_type = demangle(typeid(e).name());
    info.message = e.what();
  } catch (...) {
    info.original_type = "unknown";
    info.message = "a task threw something that is not a std::exception";
  }
  return info;
}

}  // namespace tessera::graph
