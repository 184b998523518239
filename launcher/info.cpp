#include "commands.hpp"

#include <tessera/build_info.hpp>
#include <tessera/runtime.hpp>

#include <iostream>

namespace tessera::launcher {

Action add_info(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("info", "what this build is and what it will run with");
  (void)cmd;
  return [&global] {
    const Runtime& runtime = *global.runtime;
    // One line per rank, gathered so that they print in rank order.
    auto lines = runtime.all_gather("rank " + std::to_string(runtime.rank()) + "/" + std::to_string(runtime.size()) +
                                    " host=" + runtime.host() + " threads=" + std::to_string(runtime.threads()));
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
    return 0;
  };
}

}  // namespace tessera::launcher
