#pragma once
/// A job for `tessera run`: a shared library with one entry point, loaded and
/// run on every rank by `mpirun -n 4 tessera run ./libmyjob.so args...`.
///
///     #include <tessera/job.hpp>
///     #include <tessera/tessera.hpp>
///
///     extern "C" int tessera_job(tessera::Runtime& runtime, int argc, char** argv) {
///       auto total = tessera::delayed(summarize, "summarize")(parts);
///       auto s = tessera::compute(total);
///       if (runtime.rank() == 0) std::cout << s << "\n";
///       return 0;                          // the job's exit status
///     }
///
/// argv[0] is the library's path, then the arguments after it. Build the job
/// against Tessera's headers and its shared library (CMake:
/// `add_library(myjob MODULE job.cpp)` and `target_link_libraries(myjob PRIVATE
/// tessera::tessera)`), so that the job and the launcher share one runtime.
#include <tessera/runtime.hpp>

namespace tessera {

/// The entry point's name and type.
inline constexpr const char* job_entry_point = "tessera_job";
using JobEntry = int (*)(Runtime& runtime, int argc, char** argv);

}  // namespace tessera
