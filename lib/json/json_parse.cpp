// Json::parse and pluck_field on simdjson's On-Demand API (STYLE.md §8.8).
//
// Both walk the document once with one parser per thread (a parser is not
// thread-safe, and it keeps its buffers between documents). parse() visits
// every value, which is what makes On-Demand validate all of it, then
// requires the end of the text; pluck_field() stops at its key. simdjson
// needs SIMDJSON_PADDING readable bytes after the text: a line inside a
// larger buffer may be its last bytes, so the text is copied into a padded
// per-thread buffer first (a memcpy, small next to the parse).
#include "json/json_node.hpp"
#include "json/pluck_view.hpp"

#include <tessera/error.hpp>

#include <simdjson.h>

#include <cstdlib>
#include <cstring>
#include <optional>

namespace tessera {

namespace {

namespace sj = simdjson;
namespace od = simdjson::ondemand;
using detail::JsonAccess;

struct ThreadParser {
  od::parser parser;
  std::string padded;
};

ThreadParser& thread_parser() {
  thread_local ThreadParser p;
  return p;
}

sj::padded_string_view padded_copy(ThreadParser& p, std::string_view text) {
  if (p.padded.size() < text.size() + sj::SIMDJSON_PADDING) p.padded.resize(text.size() + sj::SIMDJSON_PADDING);
  std::memcpy(p.padded.data(), text.data(), text.size());
  return sj::padded_string_view(p.padded.data(), text.size(), p.padded.size());
}

[[noreturn]] void invalid(sj::error_code e) { throw InputError(std::string("json: ").append(sj::error_message(e))); }

template <class T, class R>
T get_or_throw(R&& result) {
  if constexpr (std::is_same_v<std::decay_t<R>, T>) {
    return result;  // a call that cannot fail (value::raw_json_token)
  } else {
    T value{};
    if (auto e = std::forward<R>(result).get(value)) invalid(e);
    return value;
  }
}

// simdjson reads integers of up to 64 bits; Python's json reads any, and here
// the rest become doubles. Anything else simdjson rejected stays an error.
Json big_integer(std::string_view token, sj::error_code e) {
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\n' || token.back() == '\r')) {
    token.remove_suffix(1);
  }
  std::string_view digits = token;
  if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
  const bool integer = !digits.empty() && (digits.front() != '0' || digits.size() == 1) &&
                       digits.find_first_not_of("0123456789") == std::string_view::npos;
  if (!integer) invalid(e);
  return Json(std::strtod(std::string(token).c_str(), nullptr));
}

template <class V>
Json number(V& v) {
  od::number_type type{};
  sj::error_code e = v.get_number_type().get(type);
  if (!e) {
    if (type == od::number_type::signed_integer) {
      std::int64_t i = 0;
      if (!(e = v.get_int64().get(i))) return Json(i);
    } else if (type == od::number_type::unsigned_integer) {
      std::uint64_t u = 0;
      if (!(e = v.get_uint64().get(u))) return Json(u);  // beyond int64: a double
    } else {
      double d = 0;
      if (!(e = v.get_double().get(d))) return Json(d);
    }
  }
  return big_integer(get_or_throw<std::string_view>(v.raw_json_token()), e);
}

template <class V>
Json convert(V& v);

Json convert_array(od::array array) {
  std::vector<Json> items;
  for (auto element : array) {
    auto item = get_or_throw<od::value>(std::move(element));
    items.push_back(convert(item));
  }
  return JsonAccess::array(std::move(items));
}

Json convert_object(od::object object) {
  std::vector<Json::Member> members;
  for (auto element : object) {
    auto field = get_or_throw<od::field>(std::move(element));
    std::string key(get_or_throw<std::string_view>(field.unescaped_key()));
    members.emplace_back(std::move(key), convert(field.value()));
  }
  return JsonAccess::object(std::move(members));
}

template <class V>  // od::value or od::document: the same calls, different types
Json convert(V& v) {
  switch (get_or_throw<od::json_type>(v.type())) {
    case od::json_type::array: return convert_array(get_or_throw<od::array>(v.get_array()));
    case od::json_type::object: return convert_object(get_or_throw<od::object>(v.get_object()));
    case od::json_type::string: return JsonAccess::string(get_or_throw<std::string_view>(v.get_string()));
    case od::json_type::boolean: return Json(get_or_throw<bool>(v.get_bool()));
    case od::json_type::number: return number(v);
    case od::json_type::null:
      if (!get_or_throw<bool>(v.is_null())) invalid(sj::N_ATOM_ERROR);  // "nul", "nulls"
      return Json();
  }
  invalid(sj::INCORRECT_TYPE);
}

std::string_view record_type_name(od::json_type type) {
  switch (type) {
    case od::json_type::array: return "an array";
    case od::json_type::object: return "an object";
    case od::json_type::number: return "a number";
    case od::json_type::string: return "a string";
    case od::json_type::boolean: return "a bool";
    case od::json_type::null: return "null";
  }
  return "?";
}

// Raw bytes first, as simdjson's own find_field does; an escaped key
// ("n\u0061me") or a key with a quote or backslash only compares unescaped.
bool key_matches(od::field& field, std::string_view key) {
  const od::raw_json_string raw = field.key();
  const bool plain_key = key.find_first_of("\"\\") == std::string_view::npos;
  if (plain_key && raw.unsafe_is_equal(key)) return true;
  const char* p = raw.raw();
  while (*p != '"' && *p != '\\') ++p;  // within the padded text: the key is quote terminated
  if (*p == '"') return false;          // no escapes: the bytes said it all
  return get_or_throw<std::string_view>(field.unescaped_key()) == key;
}

}  // namespace

Json Json::parse(std::string_view text) {
  auto& p = thread_parser();
  auto doc = get_or_throw<od::document>(p.parser.iterate(padded_copy(p, text)));
  Json value = convert(doc);
  // Every value has been visited; anything left is a second document or garbage.
  const char* rest = nullptr;
  if (!doc.current_location().get(rest)) invalid(sj::TRAILING_CONTENT);
  return value;
}

namespace {
// Calls found(value) with the value of `key` in the record `line`; false when it has none.
template <class Found>
bool find_field(std::string_view line, std::string_view key, Found&& found) {
  auto& p = thread_parser();
  auto doc = get_or_throw<od::document>(p.parser.iterate(padded_copy(p, line)));
  const auto type = get_or_throw<od::json_type>(doc.type());
  if (type != od::json_type::object) {
    // On-Demand reads only the first byte to tell the type: "not json" looks
    // like a null. A full parse says whether the line is JSON at all (InputError).
    (void)Json::parse(line);
    throw TypeError(std::string("json: the record is ").append(record_type_name(type)).append(", not an object (plucking \"")
                        .append(key).append("\")"));
  }
  for (auto element : get_or_throw<od::object>(doc.get_object())) {
    auto field = get_or_throw<od::field>(std::move(element));
    if (key_matches(field, key)) {
      od::value value = field.value();
      found(value);
      return true;
    }
  }
  return false;
}
}  // namespace

std::optional<Json> pluck_field(std::string_view line, std::string_view key) {
  std::optional<Json> out;
  find_field(line, key, [&](od::value& v) { out = convert(v); });
  return out;
}

namespace {
std::size_t skip_space(std::string_view text, std::size_t i) {
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) ++i;
  return i;
}

// The usual shape of a JSON line, {"key": "text", ...} with `key` first and
// plain text (no escapes): its value, read without the parser. Anything else
// (another first key, an escape, a number, a malformed start) is left to it.
// Like the parser's stage 1, the whole line's UTF-8 is checked.
std::optional<std::string_view> leading_string_field(std::string_view line, std::string_view key) {
  std::size_t i = skip_space(line, 0);
  if (i >= line.size() || line[i] != '{') return std::nullopt;
  i = skip_space(line, i + 1);
  if (i >= line.size() || line[i] != '"' || line.size() - i < key.size() + 2) return std::nullopt;
  if (line.compare(i + 1, key.size(), key) != 0 || line[i + 1 + key.size()] != '"') return std::nullopt;
  if (key.find_first_of("\"\\") != std::string_view::npos) return std::nullopt;
  i = skip_space(line, i + key.size() + 2);
  if (i >= line.size() || line[i] != ':') return std::nullopt;
  i = skip_space(line, i + 1);
  if (i >= line.size() || line[i] != '"') return std::nullopt;
  const std::size_t begin = i + 1;
  std::size_t end = begin;
  while (end < line.size() && line[end] != '"') {
    if (line[end] == '\\' || static_cast<unsigned char>(line[end]) < 0x20) return std::nullopt;
    ++end;
  }
  if (end >= line.size()) return std::nullopt;
  const std::size_t after = skip_space(line, end + 1);
  if (after >= line.size() || (line[after] != ',' && line[after] != '}')) return std::nullopt;
  if (!sj::validate_utf8(line.data(), line.size())) return std::nullopt;
  return line.substr(begin, end - begin);
}
}  // namespace

namespace json {
PluckedField pluck_field_view(std::string_view line, std::string_view key) {
  PluckedField out;
  if (auto text = leading_string_field(line, key)) {
    out.kind = PluckedField::Kind::string;
    out.text = *text;
    return out;
  }
  find_field(line, key, [&](od::value& v) {
    if (get_or_throw<od::json_type>(v.type()) == od::json_type::string) {
      out.kind = PluckedField::Kind::string;
      out.text = get_or_throw<std::string_view>(v.get_string());
    } else {
      out.kind = PluckedField::Kind::other;
      out.value = convert(v);
    }
  });
  return out;
}
}  // namespace json

}  // namespace tessera
