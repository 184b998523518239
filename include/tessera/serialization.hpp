#pragma once
/// Opt-in: values whose type has a Boost.Serialization `serialize()` member
/// travel between ranks through a binary archive.
///
///     #include <tessera/serialization.hpp>          // pulls in Boost.Serialization
///     #include <boost/serialization/map.hpp>        // for the members' own types
///     struct Catalog {
///       std::map<std::string, std::vector<double>> columns;
///       template <class Archive> void serialize(Archive& a, unsigned) { a & columns; }
///     };
///     auto c = tessera::compute(tessera::delayed(load_catalog)(path));   // travels
///
/// This is the one public header that includes Boost: include it only where
/// such types are made (link Boost::serialization there too). Types with
/// their own Transport<T> or that are trivially copyable keep those.
#include <tessera/transport.hpp>

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/iostreams/device/array.hpp>
#include <boost/iostreams/device/back_inserter.hpp>
#include <boost/iostreams/stream.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

namespace tessera {

template <class T>
concept BoostSerializable = requires(T& value, boost::archive::binary_oarchive& archive) {
  value.serialize(archive, 0u);
};

// The archive travels laid out as a string is (length, then bytes).
template <class T>
struct Transport<T, std::enable_if_t<BoostSerializable<T> && !std::is_trivially_copyable_v<T>>> {
  static void encode(const T& value, ByteWriter& out) {
    std::vector<char> bytes;
    {
      boost::iostreams::stream<boost::iostreams::back_insert_device<std::vector<char>>> stream(bytes);
      boost::archive::binary_oarchive archive(stream, boost::archive::no_header);
      archive << value;
    }
    const std::uint64_t n = bytes.size();
    out.write(&n, sizeof n);
    out.write(bytes.data(), bytes.size());
  }
  static T decode(ByteReader& in) {
    const auto bytes = in.get<std::string>();
    boost::iostreams::stream<boost::iostreams::array_source> stream(bytes.data(), bytes.size());
    boost::archive::binary_iarchive archive(stream, boost::archive::no_header);
    T value;
    archive >> value;
    return value;
  }
};

}  // namespace tessera
