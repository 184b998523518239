// tessera: the command line. Exit codes: 0 success, 1 a failed run, 2 a bad
// command line (the usual Unix convention, so scripts can tell them apart).
#include "commands.hpp"

#include <tessera/error.hpp>
#include <tessera/version.hpp>

#include <iostream>
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
      {"info", add_info(app, global)}, {"demo", add_demo(app, global)}, {"bench", add_bench(app, global)}};

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
  try {
    for (const auto& [name, action] : commands) {
      if (app.got_subcommand(name)) return action();
    }
  } catch (const tessera::Error& e) {
    std::cerr << "tessera: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "tessera: unexpected error: " << e.what() << "\n";
    return 1;
  }
  return 2;
}
