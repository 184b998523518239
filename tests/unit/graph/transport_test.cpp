// How values travel: every built-in Transport round-trips through its codec,
// the way a receiving rank decodes it (by the registered type id).
#include <tessera/buffer.hpp>
#include <tessera/serialization.hpp>
#include <tessera/value.hpp>

#include <boost/serialization/map.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

namespace {
using namespace tessera;

struct Particle {  // trivially copyable: travels as its bytes
  double x, y, z;
  int id;
  friend bool operator==(const Particle&, const Particle&) = default;
};

struct Catalog {  // travels through Boost.Serialization
  std::map<std::string, std::vector<double>> columns;
  std::string name;
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    archive & columns & name;
  }
  friend bool operator==(const Catalog&, const Catalog&) = default;
};

struct Opaque {  // no Transport
  std::vector<int> v;
};

template <class T>
T round_trip(const T& original) {
  Value v = Value::of(original);
  const auto& codec = v.holder()->codec();
  EXPECT_TRUE(codec.travels) << v.type_name();
  std::vector<std::byte> bytes;
  codec.encode(*v.holder(), bytes);
  const auto* found = detail::find_codec(codec.type_id);  // what the receiver looks up
  EXPECT_EQ(found, &codec);
  Value back = Value::from_holder(found->decode(bytes));
  return back.get<T>();
}

TEST(Transport, BuiltInTypesRoundTrip) {
  EXPECT_EQ(round_trip(42), 42);
  EXPECT_EQ(round_trip(-2.5), -2.5);
  EXPECT_EQ(round_trip(std::string("héllo\0world", 12)), std::string("héllo\0world", 12));
  EXPECT_EQ(round_trip(std::vector<double>{1.5, -2, 1e300}), (std::vector<double>{1.5, -2, 1e300}));
  EXPECT_EQ(round_trip(std::vector<bool>{true, false, true}), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(round_trip(std::vector<std::string>{"a", "", "ccc"}), (std::vector<std::string>{"a", "", "ccc"}));
  EXPECT_EQ(round_trip(std::map<std::string, std::vector<int>>{{"k", {1, 2}}, {"j", {}}}),
            (std::map<std::string, std::vector<int>>{{"k", {1, 2}}, {"j", {}}}));
  EXPECT_EQ(round_trip(std::make_tuple(std::string("t"), 3, std::vector<float>{0.5f})),
            std::make_tuple(std::string("t"), 3, std::vector<float>{0.5f}));
  EXPECT_EQ(round_trip(std::make_pair(std::string("p"), 7LL)), std::make_pair(std::string("p"), 7LL));
  EXPECT_EQ(round_trip(std::optional<std::string>("o")), std::optional<std::string>("o"));
  EXPECT_EQ(round_trip(std::optional<std::string>()), std::optional<std::string>());
  EXPECT_EQ(round_trip(Particle{1, 2, 3, 4}), (Particle{1, 2, 3, 4}));
  EXPECT_EQ(round_trip(None{}), None{});
  Catalog catalog{{{"x", {1.5, 2.5}}, {"y", {}}}, "stars"};
  EXPECT_EQ(round_trip(catalog), catalog);
  EXPECT_EQ(round_trip(std::vector<Catalog>{catalog, Catalog{}}), (std::vector<Catalog>{catalog, Catalog{}}));
}

TEST(Transport, ErrorsTravelWithEveryField) {
  ErrorInfo e{ErrorKind::task, "boom", "('k', 1)", 3, "std::runtime_error", "try again"};
  std::vector<std::byte> bytes;
  ByteWriter out(bytes);
  out.put(e);
  ByteReader in(bytes);
  ErrorInfo back = in.get<ErrorInfo>();
  EXPECT_EQ(back.kind, e.kind);
  EXPECT_EQ(back.message, e.message);
  EXPECT_EQ(back.key, e.key);
  EXPECT_EQ(back.rank, 3);
  EXPECT_EQ(back.original_type, e.original_type);
  EXPECT_EQ(back.hint, e.hint);
}

TEST(Transport, ContiguousValuesAreSentAndReceivedInPlace) {
  std::vector<std::int64_t> data{1, 2, 3, 4, 5};
  Value v = Value::of(data);
  const auto& codec = v.holder()->codec();
  ASSERT_TRUE(codec.contiguous);
  auto view = codec.view(*v.holder());
  EXPECT_EQ(view.data(), reinterpret_cast<const std::byte*>(v.get<std::vector<std::int64_t>>().data()));
  EXPECT_EQ(view.size(), 5 * sizeof(std::int64_t));
  std::span<std::byte> target;
  Value received = Value::from_holder(codec.make(view.size(), target));
  std::memcpy(target.data(), view.data(), view.size());  // what MPI_Imrecv does
  EXPECT_EQ(received.get<std::vector<std::int64_t>>(), data);

  Buffer b(3 << 20);
  std::memset(b.data(), 7, b.size());
  Buffer copy = round_trip(b);
  ASSERT_EQ(copy.size(), b.size());
  EXPECT_EQ(std::memcmp(copy.data(), b.data(), b.size()), 0);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(copy.data()) % 64, 0u);  // aligned
}

TEST(Transport, TypesWithoutATransportSaySo) {
  Value v = Value::of(Opaque{{1}});
  EXPECT_FALSE(v.holder()->codec().travels);
  EXPECT_EQ(v.holder()->codec().encode, nullptr);
}

TEST(Transport, TruncatedBytesAreAnInputError) {
  std::vector<std::byte> bytes;
  ByteWriter out(bytes);
  out.put(std::string("a long enough string"));
  bytes.resize(bytes.size() - 3);
  ByteReader in(bytes);
  EXPECT_THAT([&] { in.get<std::string>(); }, ::testing::ThrowsMessage<InputError>(::testing::HasSubstr("truncated")));
}

}  // namespace
