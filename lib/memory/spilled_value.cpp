#include "memory/spilled_value.hpp"

#include <vector>

namespace tessera::memory {

SpilledValue spill_value(const Value& value, const std::string& what) {
  const auto* holder = value.holder();
  const auto& codec = holder->codec();
  auto& budget = Budget::instance();
  SpilledValue spilled{{}, &codec};
  if (codec.contiguous) {
    spilled.file = budget.spill().write(codec.view(*holder), what);
  } else {
    std::vector<std::byte> bytes;
    codec.encode(*holder, bytes);
    spilled.file = budget.spill().write(bytes, what);
  }
  budget.note_spilled(spilled.file.raw_bytes);
  return spilled;
}

Value read_spilled(const SpilledValue& spilled, const std::string& what) {
  auto& budget = Budget::instance();
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
  return value;
}

void remove_spilled(const SpilledValue& spilled) noexcept {
  auto& budget = Budget::instance();
  budget.spill().remove(spilled.file);
  budget.note_spill_removed(spilled.file.raw_bytes);
}

}  // namespace tessera::memory
