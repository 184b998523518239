#include <tessera/value.hpp>

namespace tessera::detail {

void throw_bad_value_type(const std::type_info& held, const std::type_info& wanted) {
  ErrorInfo info;
  info.kind = ErrorKind::type;
  info.message = "value holds " + (held == typeid(void) ? std::string("nothing") : demangle(held.name())) +
                 ", not the requested " + demangle(wanted.name());
  throw_error(std::move(info));
}

}  // namespace tessera::detail
