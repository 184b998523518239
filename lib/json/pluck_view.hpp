#pragma once
// pluck_field without making a Json for a string value: what a count of one
// field's values needs (the Bag's read_json(...).pluck(key).frequencies()),
// where a string per record was most of the cost.
#include <tessera/json.hpp>

#include <optional>
#include <string_view>

namespace tessera::json {

/// One field of a line, as pluck_field finds it (the same errors): a string
/// value's text, unescaped, valid until the thread's next parse; any other
/// value as a Json; nothing when the record has no such key.
struct PluckedField {
  enum class Kind : unsigned char { missing, string, other } kind = Kind::missing;
  std::string_view text;  // Kind::string
  Json value;             // Kind::other
};
PluckedField pluck_field_view(std::string_view line, std::string_view key);

}  // namespace tessera::json
