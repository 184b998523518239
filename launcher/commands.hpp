#pragma once
// One function per subcommand: each adds itself to the app and returns the
// action to run when it was chosen.
#include <tessera/runtime.hpp>

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace tessera::launcher {

struct GlobalOptions {
  unsigned threads = 0;              // 0: TESSERA_THREADS or this rank's share of the cores
  std::string memory_limit;          // empty: TESSERA_MEMORY_LIMIT or this rank's share of the RAM
  std::string spill_dir;             // empty: TESSERA_SPILL_DIR, TMPDIR or /tmp
  std::string config;                // --config FILE (else TESSERA_CONFIG): settings no flag gave
  std::string log_level;             // --log-level
  std::string checkpoint_dir;        // --checkpoint-dir: where persist() checkpoints (include/tessera/checkpoint.hpp)
  bool progress = false, no_progress = false;
  std::string trace;                 // --trace FILE: Chrome trace-event JSON of the whole command
  std::string report;                // --report FILE: the self-contained HTML performance report
  tessera::Runtime* runtime = nullptr;  // set once the command line is parsed
};

using Action = std::function<int()>;
/// A nested subcommand and what to run when it was chosen.
struct SubcommandAction {
  CLI::App* command;
  Action action;
};

/// A CLI11 check: empty when `text` is a size (parse_size), else why not.
std::string size_check(const std::string& text);
/// The same for a memory limit (parse_memory_limit: a size or a percentage of RAM).
std::string memory_limit_check(const std::string& text);

/// Fills `global` from the config file where no flag and no TESSERA_* variable
/// did; returns (setting, source) for what the flags and the file set.
std::vector<std::pair<std::string, std::string>> resolve_settings(GlobalOptions& global);

Action add_info(CLI::App& app, const GlobalOptions& global);
Action add_demo(CLI::App& app, const GlobalOptions& global);
Action add_bench(CLI::App& app, const GlobalOptions& global);
Action add_run(CLI::App& app, const GlobalOptions& global);
Action add_h5_reduce(CLI::App& app, const GlobalOptions& global);
Action add_csv_groupby(CLI::App& app, const GlobalOptions& global);
Action add_json_topk(CLI::App& app, const GlobalOptions& global);
SubcommandAction add_bench_spill(CLI::App& bench, const GlobalOptions& global);

}  // namespace tessera::launcher
