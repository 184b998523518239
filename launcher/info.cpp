#include "commands.hpp"

#include <tessera/build_info.hpp>
#include <tessera/memory.hpp>
#include <tessera/runtime.hpp>
#include <tessera/settings.hpp>
#include <tessera/size.hpp>

#include <iostream>

namespace tessera::launcher {

Action add_info(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("info", "what this build is and what it will run with");
  (void)cmd;
  return [&global] {
    const Runtime& runtime = *global.runtime;
    // One line per rank, gathered so that they print in rank order.
    const MemoryStatus memory = memory_status();
    auto lines = runtime.all_gather("rank " + std::to_string(runtime.rank()) + "/" + std::to_string(runtime.size()) +
                                    " host=" + runtime.host() + " threads=" + std::to_string(runtime.threads()) +
                                    " worker_cpus=" + std::to_string(runtime.worker_cpus()) +
                                    " memory_limit=" + format_size(memory.limit) +
                                    " spill_above=" + format_size(memory.target));
    const auto settings = effective_settings();
    if (runtime.rank() != 0) return 0;
    const BuildInfo info = build_info();
    std::cout << "tessera " << info.tessera << " (" << info.build_type << ", " << info.compiler << ")\n"
              << "ranks: " << runtime.size() << "\n"
              << "threads: " << runtime.threads() << "\n"
              << "mpi: " << info.mpi << "\n"
              << "hdf5: " << info.hdf5 << "\n"
              << "eigen: " << info.eigen << "\n"
              << "boost: " << info.boost << "\n";
    for (const auto& line : lines) std::cout << line << "\n";
    std::cout << "settings (rank 0), each with where it came from:\n";
    for (const auto& setting : settings) {
      std::cout << "  " << setting.name << " = " << setting.value << "  (" << setting.source << ")\n";
    }
    return 0;
  };
}

}  // namespace tessera::launcher
