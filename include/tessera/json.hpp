#pragma once
/// Json: one immutable JSON value, the record type of a Bag of JSON lines (issue 12).
///
///     auto rec = tessera::Json::parse(R"({"name": "Ada", "age": 36, "tags": ["x", "y"]})");
///     rec["name"].as_string();             // "Ada"
///     rec.at_path("tags[1]").to_text();    // y
///     rec["age"].as_double();              // 36.0 (an integer converts)
///     rec["name"].as_int64();              // TypeError: json: "name" is a string, not an integer
///     for (const auto& [key, value] : rec.members()) std::cout << key << "=" << value << "\n";
///     rec.dump();                          // {"name":"Ada","age":36,"tags":["x","y"]}
///
///     // The fast path for bag.map(json.loads).pluck("name"): no tree, stops at the key.
///     std::optional<tessera::Json> name = tessera::pluck_field(line, "name");
///
/// Copies share their storage (strings, arrays and objects are one immutable
/// node each), so a Json is cheap to copy, to put in a result and to use as a
/// key of frequencies/distinct/groupby: equality is deep and hash() depends on
/// the content only, the same on every rank. Numbers follow Python's json:
/// an integer that fits int64 is an int64, any other number a double, and
/// 1 == 1.0. Objects keep their key order; equality ignores it (like Python's
/// dict), and of duplicate keys parse() keeps the first position with the last
/// value (Python's json.loads). Parsing is simdjson's (lib/json); no simdjson
/// type appears here.
#include <tessera/transport.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace tessera {

enum class JsonType : std::uint8_t { null, boolean, int64, float64, string, array, object };

/// "null", "a bool", "an integer", "a float", "a string", "an array", "an object": for messages.
std::string_view json_type_name(JsonType type) noexcept;

namespace detail {
struct JsonNode;    // a string, array or object: lib/json/json_node.hpp
struct JsonAccess;  // lib/json's way in
}

class Json {
 public:
  using Member = std::pair<std::string, Json>;

  Json() noexcept = default;  // null
  Json(std::nullptr_t) noexcept {}
  Json(bool value) noexcept : type_(JsonType::boolean) { scalar_.boolean = value; }
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  Json(T value) noexcept;
  Json(double value) noexcept : type_(JsonType::float64) { scalar_.float64 = value; }
  Json(std::string_view text);
  Json(const char* text) : Json(std::string_view(text)) {}
  Json(const std::string& text) : Json(std::string_view(text)) {}
  static Json array(std::vector<Json> items);
  /// Of duplicate keys the first position stays, with the last value (Python's dict).
  static Json object(std::vector<Member> members);

  /// One JSON document (surrounding whitespace allowed). InputError with
  /// simdjson's message when it is not valid JSON; the caller adds file and line.
  static Json parse(std::string_view text);

  JsonType type() const noexcept { return type_; }
  bool is_null() const noexcept { return type_ == JsonType::null; }
  bool is_bool() const noexcept { return type_ == JsonType::boolean; }
  bool is_int64() const noexcept { return type_ == JsonType::int64; }
  bool is_double() const noexcept { return type_ == JsonType::float64; }
  bool is_number() const noexcept { return is_int64() || is_double(); }
  bool is_string() const noexcept { return type_ == JsonType::string; }
  bool is_array() const noexcept { return type_ == JsonType::array; }
  bool is_object() const noexcept { return type_ == JsonType::object; }

  /// Items of an array or members of an object; TypeError for anything else.
  std::size_t size() const;
  /// False for a value that is not an object.
  bool contains(std::string_view key) const noexcept;
  /// The member's value, or nullptr when absent or this is not an object.
  const Json* find(std::string_view key) const noexcept;
  /// A member: InputError naming the key and some present keys when absent,
  /// TypeError when this is not an object. The result remembers its key for
  /// the messages of its own getters.
  Json operator[](std::string_view key) const;
  Json operator[](const char* key) const { return (*this)[std::string_view(key)]; }
  /// An item: InputError when out of range, TypeError when this is not an array.
  template <std::integral I>
  Json operator[](I index) const {
    if constexpr (std::is_signed_v<I>) {
      if (index < 0) return item(std::numeric_limits<std::size_t>::max());  // out of range, like any too large index
    }
    return item(static_cast<std::size_t>(index));
  }
  /// Members and items along a path: "a.b[2].c", "[0].name". Errors name the path so far.
  Json at_path(std::string_view path) const;

  /// `for (const Json& item : j.items())`; TypeError unless an array.
  std::span<const Json> items() const;
  /// `for (const auto& [key, value] : j.members())`, in the document's order; TypeError unless an object.
  std::span<const Member> members() const;

  /// The typed getters throw TypeError naming the expected and actual types
  /// and the key or index when this value came from operator[] or at_path.
  std::int64_t as_int64() const;
  double as_double() const;  // an integer converts
  bool as_bool() const;
  std::string_view as_string() const;  // valid while this Json or a copy of it lives

  /// Compact JSON, as Python's json.dumps(v, separators=(",", ":"), ensure_ascii=False).
  std::string dump() const;
  void dump_to(std::string& out) const;
  /// How a plucked value prints: a string's own text without quotes, anything else dump().
  std::string to_text() const;

  /// Deep equality; numbers compare by value (1 == 1.0), objects ignore key order.
  friend bool operator==(const Json& a, const Json& b) noexcept;
  /// A content hash (XXH3 based), equal for equal values, the same on every rank and in every run.
  std::uint64_t hash() const noexcept;
  /// Roughly the memory this value holds: itself, its nodes and their buffers.
  std::size_t nbytes() const noexcept;

 private:
  friend struct Transport<Json>;
  Json item(std::size_t index) const;
  Json with_origin(std::shared_ptr<const detail::JsonNode> parent, std::uint32_t index) const;
  [[noreturn]] void type_error(std::string_view expected) const;
  std::string subject() const;  // "\"age\"", "[3]" or "the value": who a message is about
  friend struct detail::JsonAccess;

  JsonType type_ = JsonType::null;
  std::uint32_t origin_index_ = 0;  // this value's place in origin_, when it came from operator[]/at_path
  union {
    bool boolean;
    std::int64_t int64;
    double float64;
  } scalar_{};
  std::shared_ptr<const detail::JsonNode> node_;    // string, array or object
  std::shared_ptr<const detail::JsonNode> origin_;  // the array or object it was read from, for messages
};

std::ostream& operator<<(std::ostream& out, const Json& value);

/// The value of top-level `key` of the object in `line`, parsing with
/// simdjson's On-Demand API only as far as that key (a first match wins);
/// nullopt when absent. Errors met on the way throw InputError (invalid JSON)
/// or TypeError (the line is not an object); what follows the key is checked
/// only by simdjson's structural pass (strings, UTF-8, brackets).
std::optional<Json> pluck_field(std::string_view line, std::string_view key);

template <std::integral T>
  requires(!std::same_as<T, bool>)
Json::Json(T value) noexcept {
  if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
    if (value > static_cast<T>(std::numeric_limits<std::int64_t>::max())) {  // Python's json would keep it exact
      type_ = JsonType::float64;
      scalar_.float64 = static_cast<double>(value);
      return;
    }
  }
  type_ = JsonType::int64;
  scalar_.int64 = static_cast<std::int64_t>(value);
}

/// A tag byte, then the scalar or the lengths and contents: no text to reparse.
template <>
struct Transport<Json> {
  static void encode(const Json& value, ByteWriter& out);
  static Json decode(ByteReader& in);
};

}  // namespace tessera

template <>
struct std::hash<tessera::Json> {
  std::size_t operator()(const tessera::Json& value) const noexcept { return static_cast<std::size_t>(value.hash()); }
};
