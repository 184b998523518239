#include "schedule/inline_value.hpp"

#include <vector>

namespace tessera::schedule {

void put_inline_value(ByteWriter& out, const Value& value, std::size_t max_bytes) {
  const auto& codec = value.holder()->codec();
  std::vector<std::byte> bytes;
  // nbytes() bounds the encoding closely enough: a large result is not encoded just to learn it is large.
  const bool small = codec.travels && value.nbytes() <= 4 * max_bytes;
  if (small) codec.encode(*value.holder(), bytes);
  const bool inline_it = small && bytes.size() <= max_bytes;
  out.put(static_cast<std::uint8_t>(inline_it));
  if (!inline_it) return;
  out.put(codec.type_id);
  out.put(static_cast<std::uint64_t>(bytes.size()));
  out.write(bytes.data(), bytes.size());
}

Value get_inline_value(ByteReader& in, std::uint64_t* bytes_read) {
  if (!in.get<std::uint8_t>()) return Value();
  const auto type_id = in.get<std::uint64_t>();
  std::vector<std::byte> bytes(static_cast<std::size_t>(in.get<std::uint64_t>()));
  in.read(bytes.data(), bytes.size());
  if (bytes_read) *bytes_read += bytes.size();
  return Value::from_holder(detail::find_codec(type_id)->decode(bytes));
}

}  // namespace tessera::schedule
