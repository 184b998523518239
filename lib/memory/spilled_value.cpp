#include "memory/spilled_value.hpp"

#include "graph/value_bytes.hpp"
#include "memory/spill_counters.hpp"

#include <tessera/log.hpp>

#include <vector>

namespace tessera::memory {

SpillCounters& this_thread_spills() {
  constinit thread_local SpillCounters counters [[gnu::tls_model("initial-exec")]];  // read twice per recorded task
  return counters;
}

SpilledValue spill_value(const Value& value, const std::string& what) {
  const auto* holder = value.holder();
  const auto& codec = holder->codec();
  auto& budget = Budget::instance();
  const std::int64_t started = steady_ns();
  SpilledValue spilled{{}, &codec};
  std::vector<std::byte> encoded;
  spilled.file = budget.spill().write(detail::value_bytes(*holder, encoded), what);
  budget.note_spilled(spilled.file.raw_bytes);
  if (log_enabled(LogLevel::debug)) {
    log(LogLevel::debug,
        std::string("spilled ").append(what).append(", ").append(std::to_string(spilled.file.raw_bytes)).append(" bytes"));
  }
  auto& counters = this_thread_spills();
  counters.bytes_written += spilled.file.raw_bytes;
  counters.nanoseconds += static_cast<std::uint64_t>(steady_ns() - started);
  return spilled;
}

Value read_spilled(const SpilledValue& spilled, const std::string& what) {
  auto& budget = Budget::instance();
  const std::int64_t started = steady_ns();
  Value value = detail::value_from_bytes(*spilled.codec, /*in_place=*/true, spilled.file.raw_bytes,
                                         [&](std::span<std::byte> into) { budget.spill().read(spilled.file, into, what); });
  budget.note_unspilled(spilled.file.raw_bytes);
  auto& counters = this_thread_spills();
  counters.bytes_read += spilled.file.raw_bytes;
  counters.nanoseconds += static_cast<std::uint64_t>(steady_ns() - started);
  return value;
}

void remove_spilled(const SpilledValue& spilled) noexcept {
  auto& budget = Budget::instance();
  budget.spill().remove(spilled.file);
  budget.note_spill_removed(spilled.file.raw_bytes);
}

}  // namespace tessera::memory
