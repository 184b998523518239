#include "commands.hpp"

#include <tessera/build_info.hpp>
#include <tessera/compute.hpp>

#include <iostream>

namespace tessera::launcher {

Action add_info(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("info", "what this build is and what it will run with");
  (void)cmd;
  return [&global] {
    const BuildInfo info = build_info();
    std::cout << "tessera " << info.tessera << " (" << info.build_type << ", " << info.compiler << ")\n"
              << "threads: " << (global.threads ? global.threads : default_thread_count()) << "\n"
              << "mpi: " << info.mpi << "\n"
              << "hdf5: " << info.hdf5 << "\n"
              << "eigen: " << info.eigen << "\n"
              << "boost: " << info.boost << "\n";
    return 0;
  };
}

}  // namespace tessera::launcher
