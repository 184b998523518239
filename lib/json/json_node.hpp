#pragma once
// The shared, immutable storage behind a Json string, array or object, and
// the one way lib/json builds Json values from parts.
#include <tessera/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::detail {

struct JsonNode {
  std::size_t nbytes = 0;            // this node, its buffers and its children's nodes
  std::string text;                  // a string
  std::vector<Json> items;           // an array
  std::vector<Json::Member> members;  // an object, in the document's order
  // Objects larger than a linear scan: member indexes sorted by key, for binary search.
  std::vector<std::uint32_t> by_key;
};

struct JsonAccess {
  static Json string(std::string_view text);
  static Json array(std::vector<Json> items);
  static Json object(std::vector<Json::Member> members);
  static const JsonNode* node(const Json& v) noexcept { return v.node_.get(); }
};

}  // namespace tessera::detail
