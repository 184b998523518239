#pragma once
// Turns whatever a task threw into a TaskError's ErrorInfo naming the task.
#include <tessera/error.hpp>
#include <tessera/graph.hpp>
#include <tessera/key.hpp>

#include <exception>

namespace tessera::graph {

/// The rank this process runs tasks as, which their errors and crash reports
/// name: 0 until a Runtime sets it (a process without one is a single rank 0).
void set_process_rank(int rank);
int process_rank();

/// An exception that already is a TaskError keeps its key (a fused task's
/// inner key, say); anything else is named after `key`. Either way the error
/// names the rank it happened on.
ErrorInfo task_error_info(const Key& key, std::exception_ptr error);

/// Runs a task's function; a task that returns no value (a low-level
/// TaskFunction returning Value()) is an error naming it, like one that throws.
Value run_task(const Graph::Node& node, TaskArgs args);

}  // namespace tessera::graph
