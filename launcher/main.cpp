// tessera: the command line. Exit codes: 0 success, 1 a failed run, 2 a bad
// command line (the usual Unix convention, so scripts can tell them apart).
// Under mpirun every rank parses the same command line and runs the same
// command; MPI starts only once the command line is known to be good.
#include "commands.hpp"

#include <tessera/checkpoint.hpp>
#include <tessera/diagnostics.hpp>
#include <tessera/error.hpp>
#include <tessera/log.hpp>
#include <tessera/memory.hpp>
#include <tessera/progress.hpp>
#include <tessera/settings.hpp>
#include <tessera/version.hpp>

#include <cstdio>
#include <iostream>
#include <memory>
#include <vector>

namespace {

// The word a user typed where a command belongs, with the commands above it
// ("bench frobnicate"), or empty when the error was something else.
std::string unknown_command(const CLI::App& app) {
  std::string path;
  const CLI::App* at = &app;
  for (;;) {
    const auto chosen = at->get_subcommands();
    if (chosen.empty()) break;
    at = chosen.front();
    path += at->get_name() + " ";
  }
  if (at->get_require_subcommand_min() == 0) return {};
  // What no command took ends up with the command or, passed up, with the app.
  for (const std::string& arg : app.remaining(true)) {
    if (!arg.empty() && arg.front() != '-') return path + arg;
  }
  return {};
}

// The files --trace and --report asked for; collective, like the run.
void write_profile(tessera::Profile& profile, const tessera::launcher::GlobalOptions& global) {
  if (!global.trace.empty()) profile.write_trace(global.trace);
  if (!global.report.empty()) profile.write_report(global.report);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tessera::launcher;
  CLI::App app{"Tessera: Dask's task graphs and collections, in C++ on MPI"};
  app.name("tessera");
  app.set_version_flag("--version", std::string("tessera ") + tessera::version_string);
  app.require_subcommand(1);
  // Global options also after the command (`tessera demo --threads 2`):
  // subcommands, added below, inherit this and pass what they do not know up.
  app.fallthrough();
  GlobalOptions global;
  app.add_option("--threads", global.threads, "worker threads per rank (default: TESSERA_THREADS, else all cores)")
      ->check(CLI::Range(1u, 4096u));
  app.add_option("--memory-limit", global.memory_limit,
                 "memory budget per rank: a size (512MiB, 4GB, whole bytes) or a percentage of the node's RAM "
                 "(50%); results spill to disk above 60% of it (default: TESSERA_MEMORY_LIMIT, else the node's "
                 "RAM / its ranks)")
      ->check(memory_limit_check);
  app.add_option("--spill-dir", global.spill_dir,
                 "where results spill to (default: TESSERA_SPILL_DIR, else TMPDIR, else /tmp)");
  app.add_option("--checkpoint-dir", global.checkpoint_dir,
                 "where persist() writes its chunks as they are made and reads them back when the job is started "
                 "again, on a filesystem every rank sees (default: TESSERA_CHECKPOINT_DIR, else none)");
  app.add_option("--trace", global.trace,
                 "write a Chrome trace-event JSON file of every task, transfer and resource sample on every rank "
                 "(open it in Perfetto or chrome://tracing)");
  app.add_option("--report", global.report,
                 "write a self-contained HTML performance report (task stream, time per rank, bytes moved, "
                 "memory, slowest tasks); it opens with no network");
  app.add_option("--config", global.config,
                 "a file of settings (name = value lines: threads, memory_limit, spill_dir, progress, log_level, "
                 "checkpoint_dir) "
                 "for what no flag and no TESSERA_* variable sets (default: TESSERA_CONFIG)");
  app.add_option("--log-level", global.log_level,
                 "error, warn, info or debug: what to log on stderr, each line with its rank and time "
                 "(default: TESSERA_LOG_LEVEL, else warn)")
      ->check([](const std::string& text) {
        try {
          tessera::parse_log_level(text);
          return std::string();
        } catch (const tessera::Error& e) {
          return std::string(e.what());
        }
      });
  auto* progress_flag = app.add_flag("--progress", global.progress,
                                     "draw the progress bar in place on rank 0 even when stderr is not a terminal");
  app.add_flag("--no-progress", global.no_progress, "no progress bar or progress lines")->excludes(progress_flag);

  const std::vector<std::pair<std::string, Action>> commands = {
      {"info", add_info(app, global)}, {"demo", add_demo(app, global)}, {"bench", add_bench(app, global)},
      {"run", add_run(app, global)}, {"h5-reduce", add_h5_reduce(app, global)},
      {"csv-groupby", add_csv_groupby(app, global)}, {"json-topk", add_json_topk(app, global)}};

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (const std::string unknown = unknown_command(app); !unknown.empty()) {
      std::cerr << "tessera: unknown command '" << unknown << "'\nRun 'tessera --help' for the commands.\n";
    } else {
      std::cerr << "tessera: " << e.what() << "\nRun 'tessera --help' for usage.\n";
    }
    return 2;
  }
  std::vector<std::pair<std::string, std::string>> sources;
  try {
    sources = tessera::launcher::resolve_settings(global);
  } catch (const tessera::Error& e) {  // a bad config file is a bad command line
    std::cerr << "tessera: " << e.what() << "\n";
    return 2;
  }
  std::unique_ptr<tessera::Runtime> runtime;
  std::unique_ptr<tessera::Profile> profile;
  if (!global.log_level.empty()) tessera::set_log_level(tessera::parse_log_level(global.log_level));
  try {
    runtime = std::make_unique<tessera::Runtime>(argc, argv, tessera::RuntimeOptions{.threads = global.threads});
    global.runtime = runtime.get();
    tessera::MemoryOptions memory;
    if (!global.memory_limit.empty()) memory.limit = tessera::parse_memory_limit(global.memory_limit);
    memory.spill_dir = global.spill_dir;
    tessera::configure_memory(memory);
    if (!global.checkpoint_dir.empty()) tessera::set_default_checkpoint_dir(global.checkpoint_dir);
    if (global.progress) tessera::set_default_progress(tessera::ProgressMode::always);
    if (global.no_progress) tessera::set_default_progress(tessera::ProgressMode::off);
    for (const auto& [setting, source] : sources) tessera::note_setting_source(setting, source);
    if (!global.trace.empty() || !global.report.empty()) profile = std::make_unique<tessera::Profile>();
    for (const auto& [name, action] : commands) {
      if (!app.got_subcommand(name)) continue;
      const int status = action();
      if (profile) write_profile(*profile, global);
      return status;
    }
  } catch (const tessera::Error& e) {
    // Errors of a collective run are thrown alike on every rank: rank 0 says it once.
    const auto kind = e.info().kind;
    const bool everywhere = kind == tessera::ErrorKind::task || kind == tessera::ErrorKind::mismatch ||
                            kind == tessera::ErrorKind::memory;
    if (!runtime || runtime->rank() == 0 || !everywhere) {
      // One write per line, so that ranks failing alike do not interleave.
      std::string line = "tessera: error";
      // what() names the rank when the error knows it; say it here only otherwise.
      if (runtime && runtime->size() > 1 && e.info().rank < 0) line += " (rank " + std::to_string(runtime->rank()) + ")";
      line += std::string(": ") + e.what() + "\n";
      std::fwrite(line.data(), 1, line.size(), stderr);
      std::fflush(stderr);
    }
    // A failed run's records are kept too: the report says which task failed and where. Only
    // after an error every rank shares can the ranks still meet to gather them.
    if (profile && everywhere) {
      try {
        write_profile(*profile, global);
      } catch (const std::exception& write_error) {
        std::cerr << "tessera: " << write_error.what() << "\n";
      }
    }
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "tessera: unexpected error: " << e.what() << "\n";
    return 1;
  }
  return 2;
}
