#pragma once
// Small results inside control messages: a compute()'s outputs ride with the
// completion and `finish`, a future's result with its announcement, instead
// of a message of their own. Layout: [inlined u8] then, if inlined,
// [type u64][size u64][encoded bytes].
#include <tessera/transport.hpp>
#include <tessera/value.hpp>

#include <cstddef>
#include <cstdint>

namespace tessera::schedule {

/// Writes `value` inline if it travels and encodes to at most `max_bytes`;
/// otherwise only the flag that says it is not here. Values much larger than
/// that are not even encoded.
void put_inline_value(ByteWriter& out, const Value& value, std::size_t max_bytes);
/// Reads what put_inline_value wrote: the value, or an empty Value when it was
/// not inlined. Adds the encoded size to `*bytes_read` when given.
Value get_inline_value(ByteReader& in, std::uint64_t* bytes_read = nullptr);

}  // namespace tessera::schedule
