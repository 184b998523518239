#pragma once
/// PersistedValue: a persisted result's value on the rank that holds it.
///
///     tessera::PersistedValue p(tessera::Value::of(std::vector<double>(n)));
///     tessera::Value v = p.get();   // read back from disk if it was spilled
///
/// A persisted result counts against its rank's memory budget like any
/// result (include/tessera/memory.hpp): when the rank holds more than its
/// spill target, the least recently used persisted values that nobody is
/// using are written to the rank's spill file and freed, and get() reads them
/// back. Holding the Value that get() returns keeps it in memory. Copies of
/// a PersistedValue share one value; it and its disk copy are freed when the
/// last copy goes (the PersistedResult, Array or graph that refers to it).
/// Values whose type cannot travel (no Transport<T>) cannot be written out
/// either: they stay in memory, counted.
#include <tessera/value.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace tessera {

namespace detail {
class PersistedEntry;
}

class PersistedValue {
 public:
  PersistedValue() = default;
  /// Holds `value` (nothing when it is empty); `name` names it in messages
  /// (its key). Implicit, so that a Value can stand where one is expected.
  PersistedValue(Value value, std::string name = {});  // NOLINT(google-explicit-constructor)

  bool has_value() const noexcept { return entry_ != nullptr; }
  explicit operator bool() const noexcept { return has_value(); }
  /// The value, read back from disk if it was spilled (MemoryError when that fails).
  Value get() const;
  operator Value() const { return get(); }  // NOLINT(google-explicit-constructor)
  /// Its size in memory (its nbytes()), 0 when empty.
  std::uint64_t nbytes() const noexcept;
  /// Whether it is on disk only right now (for tests and diagnostics).
  bool spilled() const;
  /// Whether both handles share one value.
  bool same_as(const PersistedValue& other) const noexcept { return entry_ == other.entry_; }

 private:
  std::shared_ptr<detail::PersistedEntry> entry_;
};

}  // namespace tessera
