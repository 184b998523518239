// Json values (include/tessera/json.hpp): building, access with messages
// that say where, Python-compatible dump(), content hashing and transport.
// Parsing lives in json_parse.cpp, the only file that sees simdjson.
#include "json/json_node.hpp"

#include <tessera/error.hpp>
#include <tessera/token.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <numeric>
#include <ostream>
#include <unordered_map>

namespace tessera {

namespace {

using detail::JsonAccess;
using detail::JsonNode;

// Up to this many members a linear scan beats a binary search over by_key.
constexpr std::size_t linear_lookup_members = 8;

constexpr std::size_t shared_node_overhead = sizeof(JsonNode) + 16;  // make_shared's control block

std::size_t string_heap(const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; }

std::string quoted(std::string_view key) { return std::string("\"").append(key).append("\""); }

// A double that equals an int64 hashes and compares as that int64 (Python: 1 == 1.0).
bool integral_double(double d, std::int64_t& out) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != std::trunc(d)) return false;
  out = static_cast<std::int64_t>(d);
  return true;
}

constexpr std::size_t no_member = static_cast<std::size_t>(-1);

std::size_t find_member_index(const JsonNode& node, std::string_view key) noexcept {
  const auto& members = node.members;
  if (node.by_key.empty()) {
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (members[i].first == key) return i;
    }
    return no_member;
  }
  auto it = std::lower_bound(node.by_key.begin(), node.by_key.end(), key,
                             [&](std::uint32_t i, std::string_view k) { return members[i].first < k; });
  if (it != node.by_key.end() && members[*it].first == key) return *it;
  return no_member;
}

const Json* find_member(const JsonNode& node, std::string_view key) noexcept {
  const std::size_t i = find_member_index(node, key);
  return i == no_member ? nullptr : &node.members[i].second;
}

std::string some_keys(const JsonNode& node) {
  constexpr std::size_t shown = 5;
  if (node.members.empty()) return "the object is empty";
  std::string out = "its keys are ";
  for (std::size_t i = 0; i < node.members.size() && i < shown; ++i) {
    if (i > 0) out.append(", ");
    out.append(quoted(node.members[i].first));
  }
  if (node.members.size() > shown) out.append(" and ").append(std::to_string(node.members.size() - shown)).append(" more");
  return out;
}

// Python's repr(float): shortest round trip, positional for exponents in [-4, 16), else d.ddde±XX.
void put_double(std::string& out, double v) {
  if (std::isnan(v)) {
    out.append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out.append(v > 0 ? "Infinity" : "-Infinity");
    return;
  }
  char buf[40];
  const auto end = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific).ptr;
  std::string_view s(buf, static_cast<std::size_t>(end - buf));
  if (s.front() == '-') {
    out.push_back('-');
    s.remove_prefix(1);
  }
  const std::size_t e = s.find('e');
  std::string digits(s.substr(0, e));
  if (digits.size() > 1) digits.erase(1, 1);  // the '.'
  std::string_view exp_text = s.substr(e + 1);
  const bool exp_negative = exp_text.front() == '-';
  exp_text.remove_prefix(1);
  int exp = 0;
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp);
  if (exp_negative) exp = -exp;
  if (exp >= -4 && exp < 16) {
    if (exp < 0) {
      out.append("0.").append(static_cast<std::size_t>(-exp - 1), '0').append(digits);
    } else {
      const auto whole = static_cast<std::size_t>(exp) + 1;
      if (digits.size() <= whole) {
        out.append(digits).append(whole - digits.size(), '0').append(".0");
      } else {
        out.append(digits, 0, whole).push_back('.');
        out.append(digits, whole);
      }
    }
    return;
  }
  out.push_back(digits[0]);
  if (digits.size() > 1) out.append(".").append(digits, 1);
  out.push_back('e');
  out.push_back(exp_negative ? '-' : '+');
  if (exp_text.size() < 2) out.push_back('0');
  out.append(exp_text);
}

// Python's json.dumps(ensure_ascii=False): only '"', '\\' and control characters are escaped.
void put_string(std::string& out, std::string_view s) {
  out.push_back('"');
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default: {
        static constexpr char hex[] = "0123456789abcdef";
        const char escaped[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        out.append(escaped, sizeof escaped);
      }
    }
  }
  out.append(s.substr(run));
  out.push_back('"');
}

std::size_t children_nbytes(const std::vector<Json>& items) {
  std::size_t n = items.capacity() * sizeof(Json);
  for (const auto& v : items) n += v.nbytes() - sizeof(Json);
  return n;
}

void put_u64(ByteWriter& out, std::uint64_t n) { out.write(&n, sizeof n); }
std::uint64_t get_u64(ByteReader& in) {
  std::uint64_t n = 0;
  in.read(&n, sizeof n);
  return n;
}

}  // namespace

namespace detail {

Json JsonAccess::string(std::string_view text) {
  auto node = std::make_shared<JsonNode>();
  node->text.assign(text);
  node->nbytes = shared_node_overhead + string_heap(node->text);
  Json v;
  v.type_ = JsonType::string;
  v.node_ = std::move(node);
  return v;
}

Json JsonAccess::array(std::vector<Json> items) {
  auto node = std::make_shared<JsonNode>();
  node->items = std::move(items);
  node->nbytes = shared_node_overhead + children_nbytes(node->items);
  Json v;
  v.type_ = JsonType::array;
  v.node_ = std::move(node);
  return v;
}

Json JsonAccess::object(std::vector<Json::Member> members) {
  auto node = std::make_shared<JsonNode>();
  auto& m = node->members;
  m = std::move(members);
  if (m.size() <= linear_lookup_members) {
    for (std::size_t i = 1; i < m.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (m[j].first == m[i].first) {  // Python's dict: the first place, the last value
          m[j].second = std::move(m[i].second);
          m.erase(m.begin() + static_cast<std::ptrdiff_t>(i--));
          break;
        }
      }
    }
  } else {
    auto& order = node->by_key;
    order.resize(m.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return m[a].first < m[b].first; });
    const auto duplicate = std::adjacent_find(order.begin(), order.end(),
                                              [&](std::uint32_t a, std::uint32_t b) { return m[a].first == m[b].first; });
    if (duplicate != order.end()) {
      std::vector<bool> dropped(m.size());
      for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i + 1;
        while (j < order.size() && m[order[j]].first == m[order[i]].first) dropped[order[j++]] = true;
        if (j > i + 1) m[order[i]].second = std::move(m[order[j - 1]].second);
        i = j;
      }
      std::vector<Json::Member> kept;
      kept.reserve(m.size());
      for (std::size_t i = 0; i < m.size(); ++i) {
        if (!dropped[i]) kept.push_back(std::move(m[i]));
      }
      m = std::move(kept);
      order.resize(m.size());
      std::iota(order.begin(), order.end(), 0u);
      std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return m[a].first < m[b].first; });
    }
    if (m.size() <= linear_lookup_members) order.clear();
    order.shrink_to_fit();
  }
  std::size_t n = shared_node_overhead + m.capacity() * sizeof(Json::Member) + node->by_key.capacity() * 4;
  for (const auto& [key, value] : m) n += string_heap(key) + value.nbytes() - sizeof(Json);
  node->nbytes = n;
  Json v;
  v.type_ = JsonType::object;
  v.node_ = std::move(node);
  return v;
}

}  // namespace detail

std::string_view json_type_name(JsonType type) noexcept {
  switch (type) {
    case JsonType::null: return "null";
    case JsonType::boolean: return "a bool";
    case JsonType::int64: return "an integer";
    case JsonType::float64: return "a float";
    case JsonType::string: return "a string";
    case JsonType::array: return "an array";
    case JsonType::object: return "an object";
  }
  return "?";
}

Json::Json(std::string_view text) : Json(JsonAccess::string(text)) {}
Json Json::array(std::vector<Json> items) { return JsonAccess::array(std::move(items)); }
Json Json::object(std::vector<Member> members) { return JsonAccess::object(std::move(members)); }

std::string Json::subject() const {
  if (!origin_) return "the value";
  if (!origin_->members.empty()) return quoted(origin_->members[origin_index_].first);
  return std::string("[").append(std::to_string(origin_index_)).append("]");
}

void Json::type_error(std::string_view expected) const {
  throw TypeError(std::string("json: ").append(subject()).append(" is ").append(json_type_name(type_))
                      .append(", not ").append(expected));
}

Json Json::with_origin(std::shared_ptr<const detail::JsonNode> parent, std::uint32_t index) const {
  Json v = *this;
  v.origin_ = std::move(parent);
  v.origin_index_ = index;
  return v;
}

std::size_t Json::size() const {
  if (type_ == JsonType::array) return node_->items.size();
  if (type_ == JsonType::object) return node_->members.size();
  type_error("an array or an object");
}

const Json* Json::find(std::string_view key) const noexcept {
  return type_ == JsonType::object ? find_member(*node_, key) : nullptr;
}

bool Json::contains(std::string_view key) const noexcept { return find(key) != nullptr; }

Json Json::operator[](std::string_view key) const {
  if (type_ != JsonType::object) type_error(std::string("an object (reading key ").append(quoted(key)).append(")"));
  const std::size_t index = find_member_index(*node_, key);
  if (index == no_member) {
    std::string where = origin_ ? std::string(" in ").append(subject()) : std::string();
    throw InputError(std::string("json: no key ").append(quoted(key)).append(where).append("; ").append(some_keys(*node_)));
  }
  return node_->members[index].second.with_origin(node_, static_cast<std::uint32_t>(index));
}

Json Json::item(std::size_t index) const {
  if (type_ != JsonType::array) type_error("an array");
  if (index >= node_->items.size()) {
    throw InputError(std::string("json: index ").append(index == std::numeric_limits<std::size_t>::max() ? "-" : std::to_string(index))
                         .append(" is out of range for ").append(subject()).append(", an array of ")
                         .append(std::to_string(node_->items.size())));
  }
  return node_->items[index].with_origin(node_, static_cast<std::uint32_t>(index));
}

Json Json::at_path(std::string_view path) const {
  Json at = *this;
  std::size_t i = 0;
  const auto bad_path = [&](const char* why) {
    return InputError(std::string("json: path \"").append(path).append("\": ").append(why).append(" at character ")
                          .append(std::to_string(i)));
  };
  const auto so_far = [&](std::size_t end) { return end == 0 ? std::string("the top") : std::string(path.substr(0, end)); };
  while (i < path.size()) {
    if (path[i] == '[') {
      const std::size_t close = path.find(']', i);
      std::size_t index = 0;
      const char* first = path.data() + i + 1;
      const char* last = path.data() + (close == std::string_view::npos ? path.size() : close);
      if (close == std::string_view::npos || first == last || std::from_chars(first, last, index).ptr != last) {
        throw bad_path("expected [digits]");
      }
      if (!at.is_array()) {
        throw TypeError(std::string("json: ").append(so_far(i)).append(" is ").append(json_type_name(at.type()))
                            .append(", not an array (path \"").append(path).append("\")"));
      }
      if (index >= at.node_->items.size()) {
        throw InputError(std::string("json: ").append(so_far(i)).append(" has ").append(std::to_string(at.node_->items.size()))
                             .append(" items, no [").append(std::to_string(index)).append("] (path \"").append(path).append("\")"));
      }
      at = at.item(index);
      i = close + 1;
    } else {
      if (path[i] == '.') {
        if (i == 0 || i + 1 == path.size()) throw bad_path("empty key");
        ++i;
      }
      const std::size_t end = std::min(path.find_first_of(".[", i), path.size());
      if (end == i) throw bad_path("empty key");
      const std::string_view key = path.substr(i, end - i);
      if (!at.is_object()) {
        throw TypeError(std::string("json: ").append(so_far(i == 0 ? 0 : i - 1)).append(" is ").append(json_type_name(at.type()))
                            .append(", not an object (path \"").append(path).append("\")"));
      }
      if (!at.contains(key)) {
        throw InputError(std::string("json: no key ").append(quoted(key)).append(" at ").append(so_far(i == 0 ? 0 : i - 1))
                             .append(" (path \"").append(path).append("\"); ").append(some_keys(*at.node_)));
      }
      at = at[key];
      i = end;
    }
  }
  return at;
}

std::span<const Json> Json::items() const {
  if (type_ != JsonType::array) type_error("an array");
  return node_->items;
}

std::span<const Json::Member> Json::members() const {
  if (type_ != JsonType::object) type_error("an object");
  return node_->members;
}

std::int64_t Json::as_int64() const {
  if (type_ != JsonType::int64) type_error("an integer");
  return scalar_.int64;
}

double Json::as_double() const {
  if (type_ == JsonType::float64) return scalar_.float64;
  if (type_ == JsonType::int64) return static_cast<double>(scalar_.int64);
  type_error("a number");
}

bool Json::as_bool() const {
  if (type_ != JsonType::boolean) type_error("a bool");
  return scalar_.boolean;
}

std::string_view Json::as_string() const {
  if (type_ != JsonType::string) type_error("a string");
  return node_->text;
}

void Json::dump_to(std::string& out) const {
  switch (type_) {
    case JsonType::null: out.append("null"); return;
    case JsonType::boolean: out.append(scalar_.boolean ? "true" : "false"); return;
    case JsonType::int64: {
      char buf[24];
      out.append(buf, std::to_chars(buf, buf + sizeof buf, scalar_.int64).ptr);
      return;
    }
    case JsonType::float64: put_double(out, scalar_.float64); return;
    case JsonType::string: put_string(out, node_->text); return;
    case JsonType::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& v : node_->items) {
        if (!first) out.push_back(',');
        first = false;
        v.dump_to(out);
      }
      out.push_back(']');
      return;
    }
    case JsonType::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, v] : node_->members) {
        if (!first) out.push_back(',');
        first = false;
        put_string(out, key);
        out.push_back(':');
        v.dump_to(out);
      }
      out.push_back('}');
      return;
    }
  }
}

std::string Json::dump() const {
  std::string out;
  dump_to(out);
  return out;
}

std::string Json::to_text() const { return type_ == JsonType::string ? node_->text : dump(); }

std::ostream& operator<<(std::ostream& out, const Json& value) { return out << value.dump(); }

bool operator==(const Json& a, const Json& b) noexcept {
  if (a.type_ != b.type_) {
    if (!a.is_number() || !b.is_number()) return false;
    const Json& i = a.is_int64() ? a : b;
    const Json& d = a.is_int64() ? b : a;
    std::int64_t as_int = 0;
    return integral_double(d.scalar_.float64, as_int) && as_int == i.scalar_.int64;
  }
  switch (a.type_) {
    case JsonType::null: return true;
    case JsonType::boolean: return a.scalar_.boolean == b.scalar_.boolean;
    case JsonType::int64: return a.scalar_.int64 == b.scalar_.int64;
    case JsonType::float64: return a.scalar_.float64 == b.scalar_.float64;
    case JsonType::string: return a.node_ == b.node_ || a.node_->text == b.node_->text;
    case JsonType::array: return a.node_ == b.node_ || a.node_->items == b.node_->items;
    case JsonType::object: {
      if (a.node_ == b.node_) return true;
      if (a.node_->members.size() != b.node_->members.size()) return false;
      for (const auto& [key, v] : a.node_->members) {
        const Json* w = find_member(*b.node_, key);
        if (w == nullptr || !(v == *w)) return false;
      }
      return true;
    }
  }
  return false;
}

std::uint64_t Json::hash() const noexcept {
  TokenHasher h;
  h.mix(static_cast<std::uint64_t>(type_ == JsonType::float64 ? JsonType::int64 : type_));
  switch (type_) {
    case JsonType::null: break;
    case JsonType::boolean: h.mix(scalar_.boolean ? 1 : 0); break;
    case JsonType::int64: h.mix(static_cast<std::uint64_t>(scalar_.int64)); break;
    case JsonType::float64: {
      std::int64_t as_int = 0;
      if (integral_double(scalar_.float64, as_int)) {
        h.mix(static_cast<std::uint64_t>(as_int));  // equal to the int64 it equals
      } else {
        h.mix(0x666c6f6174ull);  // "float": apart from integers
        h.add(scalar_.float64);
      }
      break;
    }
    case JsonType::string: h.add(std::string_view(node_->text)); break;
    case JsonType::array:
      h.mix(node_->items.size());
      for (const auto& v : node_->items) h.mix(v.hash());
      break;
    case JsonType::object: {
      // A sum of the members' hashes: the same in any key order, as equality is.
      std::uint64_t sum = 0;
      for (const auto& [key, v] : node_->members) {
        TokenHasher member;
        member.add(std::string_view(key));
        member.mix(v.hash());
        sum += member.value();
      }
      h.mix(node_->members.size());
      h.mix(sum);
      break;
    }
  }
  return h.value();
}

std::size_t Json::nbytes() const noexcept { return sizeof(Json) + (node_ ? node_->nbytes : 0); }

void Transport<Json>::encode(const Json& value, ByteWriter& out) {
  const auto tag = static_cast<std::uint8_t>(value.type_);
  out.write(&tag, 1);
  switch (value.type_) {
    case JsonType::null: break;
    case JsonType::boolean: {
      const std::uint8_t b = value.scalar_.boolean ? 1 : 0;
      out.write(&b, 1);
      break;
    }
    case JsonType::int64: out.write(&value.scalar_.int64, 8); break;
    case JsonType::float64: out.write(&value.scalar_.float64, 8); break;
    case JsonType::string:
      put_u64(out, value.node_->text.size());
      out.write(value.node_->text.data(), value.node_->text.size());
      break;
    case JsonType::array:
      put_u64(out, value.node_->items.size());
      for (const auto& v : value.node_->items) encode(v, out);
      break;
    case JsonType::object:
      put_u64(out, value.node_->members.size());
      for (const auto& [key, v] : value.node_->members) {
        put_u64(out, key.size());
        out.write(key.data(), key.size());
        encode(v, out);
      }
      break;
  }
}

Json Transport<Json>::decode(ByteReader& in) {
  std::uint8_t tag = 0;
  in.read(&tag, 1);
  // Every count is bounded by the bytes left, so a corrupt length cannot reserve gigabytes.
  const auto count = [&] { return static_cast<std::size_t>(std::min<std::uint64_t>(get_u64(in), in.remaining())); };
  switch (static_cast<JsonType>(tag)) {
    case JsonType::null: return Json();
    case JsonType::boolean: {
      std::uint8_t b = 0;
      in.read(&b, 1);
      return Json(b != 0);
    }
    case JsonType::int64: return Json(in.get<std::int64_t>());
    case JsonType::float64: return Json(in.get<double>());
    case JsonType::string: {
      const auto bytes = in.take(static_cast<std::size_t>(get_u64(in)));
      return JsonAccess::string(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    }
    case JsonType::array: {
      std::vector<Json> items(count());
      for (auto& v : items) v = decode(in);
      return JsonAccess::array(std::move(items));
    }
    case JsonType::object: {
      std::vector<Json::Member> members(count());
      for (auto& [key, v] : members) {
        const auto bytes = in.take(static_cast<std::size_t>(get_u64(in)));
        key.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        v = decode(in);
      }
      return JsonAccess::object(std::move(members));
    }
  }
  throw InputError(std::string("json: a received value has the unknown type tag ").append(std::to_string(tag)));
}

}  // namespace tessera
