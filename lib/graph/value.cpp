#include <tessera/value.hpp>

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

}  // namespace tessera
