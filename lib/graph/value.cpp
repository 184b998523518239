#include <tessera/token.hpp>
#include <tessera/value.hpp>

#include "graph/value_bytes.hpp"

#include <mutex>
#include <unordered_map>

namespace tessera::detail {

void throw_bad_value_type(const std::type_info& held, const std::type_info& wanted) {
  ErrorInfo info;
  info.kind = ErrorKind::type;
  info.message = "value holds " + (held == typeid(void) ? std::string("nothing") : demangle(held.name())) +
                 ", not the requested " + demangle(wanted.name());
  throw_error(std::move(info));
}

namespace {
struct CodecRegistry {
  std::mutex mutex;
  std::unordered_map<std::uint64_t, const ValueCodec*> codecs;
};
CodecRegistry& registry() {
  static CodecRegistry r;
  return r;
}
}  // namespace

bool register_codec(const ValueCodec* codec) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.codecs.emplace(codec->type_id, codec);
  return true;
}

const ValueCodec* find_codec(std::uint64_t type_id) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.codecs.find(type_id);
  return it == r.codecs.end() ? nullptr : it->second;
}

}  // namespace tessera::detail

namespace tessera {

std::uint64_t Value::content_token() const {
  if (!holder_) return 0;
  const auto& codec = holder_->codec();
  if (!codec.travels) return 0;
  std::vector<std::byte> encoded;
  return hash_bytes(detail::value_bytes(*holder_, encoded), codec.type_id);
}

std::span<const std::byte> ByteReader::take(std::size_t n) {
  const std::size_t at = pos_;
  if (n > remaining()) {
    throw InputError("truncated value: " + std::to_string(n) + " more bytes needed, " + std::to_string(remaining()) +
                     " left");
  }
  pos_ += n;
  return in_.subspan(at, n);
}

void ByteReader::read(void* data, std::size_t n) {
  if (n > remaining()) {
    ErrorInfo info;
    info.kind = ErrorKind::input;
    info.message = "truncated value: " + std::to_string(n) + " more bytes needed, " + std::to_string(remaining()) +
                   " left";
    throw_error(std::move(info));
  }
  if (n) std::memcpy(data, in_.data() + pos_, n);
  pos_ += n;
}

void Transport<ErrorInfo>::encode(const ErrorInfo& e, ByteWriter& out) {
  out.put(static_cast<std::uint8_t>(e.kind));
  out.put(e.message);
  out.put(e.key);
  out.put(static_cast<std::int32_t>(e.rank));
  out.put(e.original_type);
  out.put(e.hint);
}

ErrorInfo Transport<ErrorInfo>::decode(ByteReader& in) {
  ErrorInfo e;
  e.kind = static_cast<ErrorKind>(in.get<std::uint8_t>());
  e.message = in.get<std::string>();
  e.key = in.get<std::string>();
  e.rank = in.get<std::int32_t>();
  e.original_type = in.get<std::string>();
  e.hint = in.get<std::string>();
  return e;
}

}  // namespace tessera
