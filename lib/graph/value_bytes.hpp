#pragma once
// A value as the bytes that travel and are stored (a message, a spill, a
// checkpoint): a contiguous type's own memory, any other type's encoding;
// and a value made back from such bytes.
#include <tessera/value.hpp>

#include <cstddef>
#include <span>
#include <vector>

namespace tessera::detail {

/// The value's bytes: in place when its type is contiguous, else encoded into `encoded`.
inline std::span<const std::byte> value_bytes(const ValueHolderBase& holder, std::vector<std::byte>& encoded) {
  const ValueCodec& codec = holder.codec();
  if (codec.contiguous) return codec.view(holder);
  encoded.clear();
  codec.encode(holder, encoded);
  return encoded;
}

/// A value of `codec`'s type from `nbytes` of such bytes, which `fill(span)`
/// writes: straight into the new value's memory when `in_place` (the bytes
/// are a contiguous type's), else into a scratch buffer then decoded.
template <class Fill>
Value value_from_bytes(const ValueCodec& codec, bool in_place, std::size_t nbytes, Fill&& fill) {
  if (in_place && codec.contiguous) {
    std::span<std::byte> buffer;
    auto holder = codec.make(nbytes, buffer);
    fill(buffer);
    return Value::from_holder(std::move(holder));
  }
  std::vector<std::byte> bytes(nbytes);
  fill(std::span<std::byte>(bytes));
  return Value::from_holder(codec.decode(bytes));
}

}  // namespace tessera::detail
