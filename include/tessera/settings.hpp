#pragma once
/// Settings: what this rank runs with, and where each value came from.
///
///     for (const auto& s : tessera::effective_settings())
///       std::cout << s.name << " = " << s.value << "  (" << s.source << ")\n";
///     // threads = 4  (SLURM_CPUS_PER_TASK)
///     // memory_limit = 7.8 GiB  (SLURM_MEM_PER_CPU x SLURM_CPUS_PER_TASK)
///
/// A setting comes from the first of: the `tessera` command's flag
/// (--threads, --memory-limit, --spill-dir, --progress/--no-progress,
/// --log-level, --checkpoint-dir) or the program's own call (RuntimeOptions,
/// configure_memory, set_default_progress, set_log_level, set_default_checkpoint_dir); its TESSERA_* variable; the config
/// file (`tessera --config FILE`, or TESSERA_CONFIG: `name = value` lines with
/// these names, `#` comments); Slurm's variables where they say something
/// (SLURM_CPUS_PER_TASK for threads; SLURM_MEM_PER_CPU times the task's CPUs,
/// or SLURM_MEM_PER_NODE shared by the node's ranks, for the memory limit);
/// the built-in default. `tessera info` prints them.
#include <string>
#include <vector>

namespace tessera {

struct Setting {
  std::string name;    // threads, memory_limit, memory_target, spill_dir, progress, log_level, checkpoint_dir
  std::string value;
  std::string source;  // "--threads", "TESSERA_THREADS", "config tessera.conf:3", "SLURM_CPUS_PER_TASK", "default..."
};

std::vector<Setting> effective_settings();
/// For a front end that resolves a setting itself (the `tessera` command's flags and config file).
void note_setting_source(const std::string& name, const std::string& source);

}  // namespace tessera
