#pragma once
/// Progress: a bar on rank 0 while a compute runs.
///
///     tessera::set_default_progress(tessera::ProgressMode::off);  // or --no-progress, TESSERA_PROGRESS=0
///     tessera::compute(graph, keys, {.progress = tessera::ProgressMode::always});
///
/// It shows tasks done of total, by key prefix ('load-3f2a' counts as
/// 'load'), the time so far, the rate, and each rank's memory and spilled
/// bytes:
///
///     [########            ] 40% 4000/10000 tasks | 2.1 s | 1.9k tasks/s | load 4000/5000, pair 0/4999 |
///     rank 0 1.2 GiB (3.0 GiB spilled), rank 1 1.1 GiB (2.8 GiB spilled)
///
/// `automatic` draws it in place when stderr is a terminal (from half a
/// second into a compute, or the interval below if shorter); otherwise it prints a plain line every
/// TESSERA_PROGRESS_INTERVAL seconds (default 10) of a compute that lasts
/// that long, and a last one at its end: readable in a Slurm log file.
/// `always` draws in place even when stderr is not a terminal; `off` shows nothing.
#include <cstdint>

namespace tessera {

enum class ProgressMode : std::uint8_t { automatic, always, off };

/// What computes that do not say use: TESSERA_PROGRESS (0 or off, 1 or on, auto) until set.
void set_default_progress(ProgressMode mode);
ProgressMode default_progress();

}  // namespace tessera
