// tessera: the command line. Exit codes: 0 success, 1 a failed run, 2 a bad
// command line (the usual Unix convention, so scripts can tell them apart).
// Under mpirun every rank parses the same command line and runs the same
// command; MPI starts only once the command line is known to be good.
#include "commands.hpp"

#include <tessera/error.hpp>
#include <tessera/version.hpp>

#include <iostream>
#include <memory>
#include <vector>

int main(int argc, char** argv) {
  using namespace tessera::launcher;
  CLI::App app{"Tessera: Dask's task graphs and collections, in C++ on MPI"};
  app.name("tessera");
  app.set_version_flag("--version", std::string("tessera ") + tessera::version_string);
  app.require_subcommand(1);
  GlobalOptions global;
  app.add_option("--threads", global.threads, "worker threads per rank (default: TESSERA_THREADS, else all cores)")
      ->check(CLI::Range(1u, 4096u));

  const std::vector<std::pair<std::string, Action>> commands = {
      {"info", add_info(app, global)}, {"demo", add_demo(app, global)}, {"bench", add_bench(app, global)},
      {"run", add_run(app, global)}};

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "tessera: " << e.what() << "\nRun 'tessera --help' for usage.\n";
    return 2;
  }
  std::unique_ptr<tessera::Runtime> runtime;
  try {
    runtime = std::make_unique<tessera::Runtime>(argc, argv, tessera::RuntimeOptions{.threads = global.threads});
    global.runtime = runtime.get();
    for (const auto& [name, action] : commands) {
      if (app.got_subcommand(name)) return action();
    }
  } catch (const tessera::Error& e) {
    // Errors of a collective run are thrown alike on every rank: rank 0 says it once.
    const auto kind = e.info().kind;
    const bool everywhere = kind == tessera::ErrorKind::task || kind == tessera::ErrorKind::mismatch;
    if (!runtime || runtime->rank() == 0 || !everywhere) {
      std::cerr << "tessera: error";
      if (runtime && runtime->size() > 1) std::cerr << " (rank " << runtime->rank() << ")";
      std::cerr << ": " << e.what() << "\n";
    }
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "tessera: unexpected error: " << e.what() << "\n";
    return 1;
  }
  return 2;
}
