#include "memory/spilled_value.hpp"

#include "memory/spill_counters.hpp"

#include <tessera/log.hpp>

#include <vector>

namespace tessera::memory {

SpillCounters& this_thread_spills() {
  thread_local SpillCounters counters;
  return counters;
}

SpilledValue spill_value(const Value& value, const std::string& what) {
  const auto* holder = value.holder();
  const auto& codec = holder->codec();
  auto& budget = Budget::instance();
  const std::int64_t started = steady_ns();
  SpilledValue spilled{{}, &codec};
  if (codec.contiguous) {
    spilled.file = budget.spill().write(codec.view(*holder), what);
  } else {
    std::vector<std::byte> bytes;
    codec.encode(*holder, bytes);
    spilled.file = budget.spill().write(bytes, what);
  }
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
  Value value;
  if (spilled.codec->contiguous) {
    std::span<std::byte> buffer;
    auto holder = spilled.codec->make(spilled.file.raw_bytes, buffer);
    budget.spill().read(spilled.file, buffer, what);
    value = Value::from_holder(std::move(holder));
  } else {
    std::vector<std::byte> bytes(spilled.file.raw_bytes);
    budget.spill().read(spilled.file, bytes, what);
    value = Value::from_holder(spilled.codec->decode(bytes));
  }
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
