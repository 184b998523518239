// <tessera/tessera.hpp> is "everything a Tessera program needs": futures too.
#include <tessera/tessera.hpp>

#include <gtest/gtest.h>

#include <type_traits>

namespace {

TEST(UmbrellaHeader, BringsInFutures) {
  auto submit_int = [](int x) { return tessera::submit([](int v) { return v + 1; }, x); };
  static_assert(std::is_same_v<decltype(submit_int(1)), tessera::Future<int>>);
  SUCCEED();
}

}  // namespace
