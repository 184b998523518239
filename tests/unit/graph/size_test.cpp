#include <tessera/error.hpp>
#include <tessera/size.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace {
using namespace tessera;

TEST(Size, ParsesBinaryAndDecimalUnits) {
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("12B"), 12u);
  EXPECT_EQ(parse_size("512MiB"), 512ull * 1024 * 1024);
  EXPECT_EQ(parse_size("1.5 KiB"), 1536u);
  EXPECT_EQ(parse_size("8GiB"), 8ull << 30);
  EXPECT_EQ(parse_size("2TiB"), 2ull << 40);
  EXPECT_EQ(parse_size("4GB"), 4'000'000'000ull);
  EXPECT_EQ(parse_size("3 kB"), 3000u);
  EXPECT_EQ(parse_size("  64MB "), 64'000'000u);
}

TEST(Size, RejectsWhatIsNotASize) {
  // Bytes are whole: a bare 0.5 or 1.0 is a trap (it used to mean one byte, or nothing).
  for (const char* bad : {"", "MiB", "12 parsecs", "-1", "1e400", "1.5.2GB", "ten", "0.5", "1.0", "2.5B", "12 apples"}) {
    std::string expected;
    expected.append("'").append(bad).append("' is not a size");
    EXPECT_THAT([&] { parse_size(bad); }, ::testing::ThrowsMessage<InputError>(::testing::HasSubstr(expected))) << bad;
  }
}

TEST(Size, FormatsInTheLargestFittingUnit) {
  EXPECT_EQ(format_size(0), "0 B");
  EXPECT_EQ(format_size(1023), "1023 B");
  EXPECT_EQ(format_size(1536), "1.5 KiB");
  EXPECT_EQ(format_size(3ull << 20), "3.0 MiB");
  EXPECT_EQ(format_size(8ull << 30), "8.0 GiB");
}

}  // namespace
