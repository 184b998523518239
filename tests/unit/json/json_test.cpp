// tessera::Json (include/tessera/json.hpp): types, access, messages, dump, equality, hash, transport.
#include <tessera/error.hpp>
#include <tessera/json.hpp>

#include "json/pluck_view.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <sstream>
#include <typeinfo>
#include <string>
#include <unordered_map>
#include <vector>

using tessera::InputError;
using tessera::Json;
using tessera::JsonType;
using tessera::TypeError;
using ::testing::HasSubstr;

namespace {

// The exception's message, or "" when `f` does not throw E.
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

Json round_trip(const Json& v) {
  std::vector<std::byte> bytes;
  tessera::ByteWriter out(bytes);
  out.put(v);
  tessera::ByteReader in(bytes);
  Json back = in.get<Json>();
  EXPECT_EQ(in.remaining(), 0u);
  return back;
}

}  // namespace

TEST(Json, ParsesEveryType) {
  const Json j = Json::parse(R"( {"n": null, "t": true, "f": false, "i": -42, "d": 2.5, "s": "hi", "a": [1, "x"], "o": {"k": 1}} )");
  EXPECT_TRUE(j.is_object());
  EXPECT_EQ(j.size(), 8u);
  EXPECT_TRUE(j["n"].is_null());
  EXPECT_EQ(j["n"].type(), JsonType::null);
  EXPECT_TRUE(j["t"].as_bool());
  EXPECT_FALSE(j["f"].as_bool());
  EXPECT_EQ(j["i"].type(), JsonType::int64);
  EXPECT_EQ(j["i"].as_int64(), -42);
  EXPECT_EQ(j["i"].as_double(), -42.0);
  EXPECT_TRUE(j["d"].is_double());
  EXPECT_EQ(j["d"].as_double(), 2.5);
  EXPECT_EQ(j["s"].as_string(), "hi");
  EXPECT_EQ(j["a"].size(), 2u);
  EXPECT_EQ(j["a"][1].as_string(), "x");
  EXPECT_EQ(j["o"]["k"].as_int64(), 1);
  EXPECT_TRUE(j.contains("o"));
  EXPECT_FALSE(j.contains("zz"));
  EXPECT_FALSE(j["a"].contains("zz"));
  EXPECT_EQ(j.find("zz"), nullptr);
  EXPECT_EQ(j.find("i")->as_int64(), -42);

  EXPECT_TRUE(Json::parse("null").is_null());
  EXPECT_EQ(Json::parse("7").as_int64(), 7);
  EXPECT_EQ(Json::parse(" \"s\" ").as_string(), "s");
  EXPECT_EQ(Json::parse("[]").size(), 0u);
  EXPECT_EQ(Json::parse("{}").size(), 0u);
}

TEST(Json, IteratesItemsAndMembersInOrder) {
  const Json j = Json::parse(R"({"z": 1, "a": [10, 20, 30], "m": 3})");
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.members()) keys.push_back(key);
  EXPECT_THAT(keys, ::testing::ElementsAre("z", "a", "m"));
  std::int64_t sum = 0;
  for (const Json& item : j["a"].items()) sum += item.as_int64();
  EXPECT_EQ(sum, 60);
  EXPECT_THAT(message_of<TypeError>([&] { (void)j["z"].items(); }), HasSubstr("\"z\" is an integer, not an array"));
}

TEST(Json, AtPathFollowsKeysAndIndexes) {
  const Json j = Json::parse(R"({"a": {"b": [0, 1, {"c": "deep"}]}, "list": [[5, 6]]})");
  EXPECT_EQ(j.at_path("a.b[2].c").as_string(), "deep");
  EXPECT_EQ(j.at_path("list[0][1]").as_int64(), 6);
  EXPECT_EQ(j["list"].at_path("[0][0]").as_int64(), 5);
  EXPECT_EQ(j.at_path(""), j);
  EXPECT_THAT(message_of<InputError>([&] { (void)j.at_path("a.b[2].x"); }),
              HasSubstr("no key \"x\" at a.b[2] (path \"a.b[2].x\"); its keys are \"c\""));
  EXPECT_THAT(message_of<InputError>([&] { (void)j.at_path("a.b[7]"); }), HasSubstr("a.b has 3 items, no [7]"));
  EXPECT_THAT(message_of<TypeError>([&] { (void)j.at_path("a.b.c"); }), HasSubstr("a.b is an array, not an object"));
  EXPECT_THAT(message_of<TypeError>([&] { (void)j.at_path("a[0]"); }), HasSubstr("a is an object, not an array"));
  EXPECT_THAT(message_of<InputError>([&] { (void)j.at_path("a.b[x]"); }), HasSubstr("expected [digits]"));
  EXPECT_THAT(message_of<InputError>([&] { (void)j.at_path("a..b"); }), HasSubstr("empty key"));
  // The last step's key names a wrong type.
  EXPECT_THAT(message_of<TypeError>([&] { (void)j.at_path("a.b[2].c").as_int64(); }),
              HasSubstr("json: \"c\" is a string, not an integer"));
}

TEST(Json, UnicodeAndEscapes) {
  const Json j = Json::parse(R"({"e": "caf\u00e9", "smile": "\ud83d\ude00", "raw": "naïve 😀", "ctl": "a\nb\t\"q\"\\/", "k\u00e9y": 1, "z": "\u0001"})");
  EXPECT_EQ(j["e"].as_string(), "caf\xc3\xa9");
  EXPECT_EQ(j["smile"].as_string(), "\xf0\x9f\x98\x80");
  EXPECT_EQ(j["raw"].as_string(), "na\xc3\xafve \xf0\x9f\x98\x80");
  EXPECT_EQ(j["ctl"].as_string(), "a\nb\t\"q\"\\/");
  EXPECT_EQ(j["k\xc3\xa9y"].as_int64(), 1);
  // Python's json.dumps(ensure_ascii=False): UTF-8 as is, control characters escaped.
  EXPECT_EQ(j.dump(),
            "{\"e\":\"caf\xc3\xa9\",\"smile\":\"\xf0\x9f\x98\x80\",\"raw\":\"na\xc3\xafve \xf0\x9f\x98\x80\","
            "\"ctl\":\"a\\nb\\t\\\"q\\\"\\\\/\",\"k\xc3\xa9y\":1,\"z\":\"\\u0001\"}");
  EXPECT_EQ(j["ctl"].to_text(), "a\nb\t\"q\"\\/");
  EXPECT_EQ(Json::parse(j.dump()), j);
}

TEST(Json, NumbersFollowPythonsJson) {
  const Json j = Json::parse(
      "[9223372036854775807, -9223372036854775808, 9223372036854775808, 18446744073709551616,"
      " 123456789012345678901234567890, -99999999999999999999, 1.0, 1e2, -0.0, 0.1, 1e16, 1e-5, 123456.789]");
  EXPECT_EQ(j[0].as_int64(), INT64_MAX);
  EXPECT_EQ(j[1].as_int64(), INT64_MIN);
  EXPECT_TRUE(j[2].is_double());
  EXPECT_EQ(j[2].as_double(), 9223372036854775808.0);
  EXPECT_EQ(j[3].as_double(), 18446744073709551616.0);
  EXPECT_DOUBLE_EQ(j[4].as_double(), 1.2345678901234568e29);
  EXPECT_DOUBLE_EQ(j[5].as_double(), -1e20);
  EXPECT_TRUE(j[6].is_double());
  EXPECT_EQ(j.dump(),
            "[9223372036854775807,-9223372036854775808,9.223372036854776e+18,1.8446744073709552e+19,"
            "1.2345678901234568e+29,-1e+20,1.0,100.0,-0.0,0.1,1e+16,1e-05,123456.789]");
  EXPECT_EQ(Json(std::uint64_t{1} << 63).type(), JsonType::float64);
  EXPECT_EQ(Json(3).type(), JsonType::int64);
  EXPECT_EQ(Json(1e15).dump(), "1000000000000000.0");
  EXPECT_EQ(Json(1.5e-7).dump(), "1.5e-07");
  EXPECT_THAT(message_of<TypeError>([&] { (void)j[6].as_int64(); }), HasSubstr("json: [6] is a float, not an integer"));
}

TEST(Json, ErrorsSayWhatAndWhere) {
  const Json j = Json::parse(R"({"name": "Ada", "age": "36", "a": 1, "b": 2, "c": 3, "d": 4, "e": 5})");
  EXPECT_EQ(message_of<TypeError>([&] { (void)j["age"].as_int64(); }), "json: \"age\" is a string, not an integer");
  EXPECT_EQ(message_of<TypeError>([&] { (void)j["age"].as_double(); }), "json: \"age\" is a string, not a number");
  EXPECT_EQ(message_of<TypeError>([&] { (void)j["name"].as_bool(); }), "json: \"name\" is a string, not a bool");
  EXPECT_EQ(message_of<TypeError>([&] { (void)j["a"].as_string(); }), "json: \"a\" is an integer, not a string");
  EXPECT_EQ(message_of<TypeError>([&] { (void)Json(2.5).as_string(); }), "json: the value is a float, not a string");
  EXPECT_THAT(message_of<TypeError>([&] { (void)j["a"]["x"]; }), HasSubstr("\"a\" is an integer, not an object"));
  EXPECT_THAT(message_of<TypeError>([&] { (void)j[0]; }), HasSubstr("the value is an object, not an array"));
  EXPECT_EQ(message_of<InputError>([&] { (void)j["nmae"]; }),
            "json: no key \"nmae\"; its keys are \"name\", \"age\", \"a\", \"b\", \"c\" and 2 more");
  const Json nested = Json::parse(R"({"user": {"id": 1}})");
  EXPECT_EQ(message_of<InputError>([&] { (void)nested["user"]["name"]; }),
            "json: no key \"name\" in \"user\"; its keys are \"id\"");
  const Json list = Json::parse("[1, 2]");
  EXPECT_THAT(message_of<InputError>([&] { (void)list[2]; }), HasSubstr("index 2 is out of range for the value, an array of 2"));
  EXPECT_THAT(message_of<InputError>([&] { (void)list[-1]; }), HasSubstr("index - is out of range"));
  EXPECT_THAT(message_of<TypeError>([&] { (void)Json(1).size(); }), HasSubstr("not an array or an object"));
}

TEST(Json, InvalidJsonThrowsSimdjsonsMessage) {
  for (const char* bad : {"", "{", "[1, 2", "{\"a\" 1}", "[1,]", "{\"a\":1,}", "nul", "tru", "01", "1.", "\"abc",
                          "[1] 2", "{} {}", "\"\\x\"", "\"\\ud83d\"", "\"a\tb\"", "1e400", "NaN", "[1 2]", "\xff"}) {
    const std::string m = message_of<InputError>([&] { (void)Json::parse(bad); });
    EXPECT_THAT(m, HasSubstr("json: ")) << "accepted: " << bad;
  }
  EXPECT_THAT(message_of<InputError>([&] { (void)Json::parse("[1] 2"); }), HasSubstr("json: "));
}

TEST(Json, DuplicateKeysKeepFirstPlaceLastValueLikePython) {
  EXPECT_EQ(Json::parse(R"({"a": 1, "b": 2, "a": 3})").dump(), R"({"a":3,"b":2})");
  std::string many = "{";
  for (int i = 0; i < 20; ++i) many.append("\"k").append(std::to_string(i)).append("\":").append(std::to_string(i)).append(",");
  many.append("\"k3\":\"last\"}");
  const Json j = Json::parse(many);
  EXPECT_EQ(j.size(), 20u);
  EXPECT_EQ(j["k3"].as_string(), "last");
  EXPECT_EQ(j.members()[3].first, "k3");
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(j.contains(std::string("k").append(std::to_string(i))));  // binary search over many keys
  EXPECT_FALSE(j.contains("k20"));
}

TEST(Json, DumpRoundTripsAndPrints) {
  const std::string text = R"({"a":[1,2.5,"x",null,true,false,{}],"b":{"c":[]},"s":"\"q\""})";
  const Json j = Json::parse(text);
  EXPECT_EQ(j.dump(), text);
  EXPECT_EQ(Json::parse(j.dump()).dump(), text);
  std::ostringstream out;
  out << j["a"];
  EXPECT_EQ(out.str(), R"([1,2.5,"x",null,true,false,{}])");
  EXPECT_EQ(j["s"].to_text(), "\"q\"");
  EXPECT_EQ(j["a"].to_text(), R"([1,2.5,"x",null,true,false,{}])");
  EXPECT_EQ(Json(nullptr).to_text(), "null");
}

TEST(Json, EqualityAndHashAreByContent) {
  const Json a = Json::parse(R"({"x": 1, "y": [1, 2, {"z": "w"}]})");
  const Json b = Json::parse(R"({"y": [1.0, 2, {"z": "w"}], "x": 1})");
  EXPECT_EQ(a, b);  // key order and 1 vs 1.0 do not matter, as in Python
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_NE(a, Json::parse(R"({"x": 1, "y": [1, 2, {"z": "v"}]})"));
  EXPECT_NE(Json(1), Json(true));
  EXPECT_NE(Json("1"), Json(1));
  EXPECT_EQ(Json(2), Json(2.0));
  EXPECT_EQ(Json(2).hash(), Json(2.0).hash());
  EXPECT_NE(Json(2.5).hash(), Json(2).hash());
  EXPECT_NE(Json::parse("[1, 2]").hash(), Json::parse("[2, 1]").hash());
  EXPECT_NE(Json::array({}).hash(), Json::object({}).hash());
  // Stable across processes and runs: a fixed value, not a pointer.
  EXPECT_EQ(Json::parse(R"({"k": ["v", 1]})").hash(), Json::parse(R"({"k":["v",1]})").hash());
  const Json copy = a;
  EXPECT_EQ(copy, a);
  std::unordered_map<Json, int> counts;
  for (const char* t : {"\"a\"", "\"b\"", "\"a\"", "1", "1.0", "null"}) ++counts[Json::parse(t)];
  EXPECT_EQ(counts[Json("a")], 2);
  EXPECT_EQ(counts[Json(1)], 2);
  EXPECT_EQ(counts[Json()], 1);
}

TEST(Json, BuildsFromParts) {
  const Json j = Json::object({{"name", "Ada"}, {"n", 3}, {"list", Json::array({1, 2.5, nullptr, false})}});
  EXPECT_EQ(j.dump(), R"({"name":"Ada","n":3,"list":[1,2.5,null,false]})");
  EXPECT_GT(j.nbytes(), sizeof(Json));
  EXPECT_EQ(Json(7).nbytes(), sizeof(Json));
}

TEST(Json, TravelsThroughTransport) {
  const Json j = Json::parse(
      R"({"s": "caf\u00e9 😀", "i": -7, "big": 1e300, "b": true, "n": null, "a": [[], {}, [1, [2]]], "o": {"k": {"l": "m"}}})");
  const Json back = round_trip(j);
  EXPECT_EQ(back, j);
  EXPECT_EQ(back.dump(), j.dump());
  EXPECT_EQ(back.hash(), j.hash());
  EXPECT_EQ(round_trip(Json()).type(), JsonType::null);
  EXPECT_EQ(round_trip(Json(2.5)).as_double(), 2.5);
  std::vector<Json> several{Json(1), Json("x"), j};
  std::vector<std::byte> bytes;
  tessera::ByteWriter out(bytes);
  out.put(several);
  tessera::ByteReader in(bytes);
  EXPECT_EQ(in.get<std::vector<Json>>(), several);
  std::vector<std::byte> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() / 2));
  tessera::ByteReader short_in(cut);
  EXPECT_THROW((void)short_in.get<std::vector<Json>>(), InputError);
}

// pluck_field_view (the Bag's counting path) reads {"key": "plain text", ...}
// itself and leaves every other line to the parser: on each line it must say
// what pluck_field says, and throw what it throws.
TEST(Json, PluckFieldViewAgreesWithPluckField) {
  const std::vector<std::string> lines = {
      R"({"name": "Ada", "age": 3})", R"({"name":"Ada"})", R"(  { "name" :  "Ada" , "x": [1, 2]})",
      R"({"name": "A\"da", "age": 3})", R"({"name": "\u00c9mile"})", "{\"name\": \"\xc3\x89mile\"}",
      R"({"name": ""})", R"({"name": 12})", R"({"name": null})", R"({"name": {"first": "A"}})",
      R"({"age": 3, "name": "Ada"})", R"({"names": "Ada", "name": "Bo"})", R"({"nam": "Ada"})",
      R"({"n\u0061me": "esc"})", R"({"age": 3})", R"({"name": "Ada" "age": 3})",
      R"({"name": "Ada", "age": tru})", R"({"name": "Ada)", "{\"name\": \"A\tda\"}",
      "{\"name\": \"Ada\", \"x\": \"\xff\"}", "{\"name\": \"\xff\"}", R"(["name", "Ada"])", "", "not json"};
  for (const std::string& line : lines) {
    SCOPED_TRACE(line);
    std::optional<Json> expected;
    std::string expected_error;
    try {
      expected = tessera::pluck_field(line, "name");
    } catch (const tessera::Error& e) {
      expected_error = tessera::demangle(typeid(e).name());
    }
    try {
      const auto found = tessera::json::pluck_field_view(line, "name");
      EXPECT_EQ(expected_error, "") << "pluck_field threw, the view did not";
      using Kind = tessera::json::PluckedField::Kind;
      if (!expected) {
        EXPECT_EQ(found.kind, Kind::missing);
      } else if (expected->is_string()) {
        ASSERT_EQ(found.kind, Kind::string);
        EXPECT_EQ(found.text, expected->as_string());
      } else {
        ASSERT_EQ(found.kind, Kind::other);
        EXPECT_EQ(found.value, *expected);
      }
    } catch (const tessera::Error& e) {
      EXPECT_EQ(tessera::demangle(typeid(e).name()), expected_error);
    }
  }
}

TEST(Json, PluckFieldStopsAtTheKey) {
  const std::string line = R"({"id": 3, "name": "Ada", "tags": ["a", {"b": 1}], "n\u0061me2": "esc"})";
  EXPECT_EQ(tessera::pluck_field(line, "name")->as_string(), "Ada");
  EXPECT_EQ(tessera::pluck_field(line, "id")->as_int64(), 3);
  EXPECT_EQ(*tessera::pluck_field(line, "tags"), Json::parse(R"(["a", {"b": 1}])"));
  EXPECT_EQ(tessera::pluck_field(line, "name2")->as_string(), "esc");  // escaped key
  EXPECT_FALSE(tessera::pluck_field(line, "missing").has_value());
  EXPECT_FALSE(tessera::pluck_field(line, "nam").has_value());
  EXPECT_EQ(tessera::pluck_field(R"({"big": 123456789012345678901234567890})", "big")->as_double(), 1.2345678901234568e29);
  EXPECT_THROW((void)tessera::pluck_field(R"({"id": 3, "name": tru})", "name"), InputError);
  EXPECT_THROW((void)tessera::pluck_field(R"({"id" 3, "name": 1})", "name"), InputError);
  EXPECT_THROW((void)tessera::pluck_field(R"({"id": "unterminated})", "id"), InputError);
  EXPECT_THROW((void)tessera::pluck_field("", "id"), InputError);
  EXPECT_THAT(message_of<TypeError>([&] { (void)tessera::pluck_field("[1, 2]", "id"); }),
              HasSubstr("json: the record is an array, not an object (plucking \"id\")"));
}
