#pragma once
// A Value in this rank's spill file: what a run's ResultStore and the
// process's PersistedStore share (DESIGN.md §4). A contiguous type (a Buffer,
// a vector of numbers) is written from and read back into its own memory; any
// other type that travels goes through its encoding. A type that cannot
// travel cannot be spilled.
#include <tessera/value.hpp>

#include "memory/budget.hpp"
#include "memory/spill_directory.hpp"

#include <algorithm>
#include <cstddef>
#include <string>

namespace tessera::memory {

struct SpilledValue {
  SpillFile file;
  const detail::ValueCodec* codec = nullptr;
};

/// Whether `value` can be written to a spill file (its type travels).
inline bool spillable(const Value& value) { return value.holder() && value.holder()->codec().travels; }

/// Writes `value` to the spill file and counts it as spilled; MemoryError
/// naming `what` and the directory when it cannot.
SpilledValue spill_value(const Value& value, const std::string& what);
/// Reads it back and counts it as read back. The caller counts its memory
/// (from before the call: the read takes it).
Value read_spilled(const SpilledValue& spilled, const std::string& what);
/// Frees its extent of the spill file.
void remove_spilled(const SpilledValue& spilled) noexcept;

/// The loop of every spiller: claims the least recently used unused results
/// (`claim(bytes)`, at least a sixteenth of the target at a time: each claim
/// sorts every candidate, and claiming just the excess, often one small
/// chunk, made spilling quadratic in the number of results held) and spills
/// them (`spill(victim)`) until the rank is under its target or nothing is
/// left to claim. When a spill throws, the victims not yet spilled are given
/// back (`give_back(victim)`).
template <class Claim, class Spill, class GiveBack>
void spill_claimed(Claim&& claim, Spill&& spill, GiveBack&& give_back) {
  auto& budget = Budget::instance();
  for (;;) {
    const std::uint64_t excess = budget.excess();
    if (excess == 0) return;
    auto victims = claim(std::max(excess, budget.target() / 16));
    if (victims.empty()) return;  // everything is in use: running tasks need it
    for (std::size_t i = 0; i < victims.size(); ++i) {
      try {
        spill(victims[i]);
      } catch (...) {
        for (std::size_t j = i + 1; j < victims.size(); ++j) give_back(victims[j]);  // the rest, unspilled
        throw;
      }
    }
  }
}

}  // namespace tessera::memory
