#pragma once
/// Everything a Tessera program needs, without MPI, HDF5 or Eigen headers.
///
///     #include <tessera/tessera.hpp>
///     auto inc = tessera::delayed([](int x) { return x + 1; }, "inc");
///     int two = tessera::compute(inc(inc(0)));
#include <tessera/buffer.hpp>
#include <tessera/build_info.hpp>
#include <tessera/compute.hpp>
#include <tessera/delayed.hpp>
#include <tessera/diagnostics.hpp>
#include <tessera/log.hpp>
#include <tessera/error.hpp>
#include <tessera/futures.hpp>
#include <tessera/graph.hpp>
#include <tessera/key.hpp>
#include <tessera/memory.hpp>
#include <tessera/progress.hpp>
#include <tessera/runtime.hpp>
#include <tessera/value.hpp>
