#include "mlpipe/spec/units.h"

#include <gtest/gtest.h>

namespace mlpipe::spec {
namespace {

TEST(ParseDurationTest, AcceptsUnitsAndBareSeconds) {
  EXPECT_EQ(*ParseDuration("500ms"), 500'000'000);
  EXPECT_EQ(*ParseDuration("30s"), 30'000'000'000);
  EXPECT_EQ(*ParseDuration("5m"), 300'000'000'000);
  EXPECT_EQ(*ParseDuration("2h"), 7'200'000'000'000);
  EXPECT_EQ(*ParseDuration("30"), 30'000'000'000);
  EXPECT_EQ(*ParseDuration("1.5s"), 1'500'000'000);
}

TEST(ParseDurationTest, RejectsGarbage) {
  for (const char* bad : {"", "5 minutes", "-3s", "s", "3x", "1e3s"}) {
    auto d = ParseDuration(bad);
    EXPECT_FALSE(d.ok()) << bad;
  }
  EXPECT_EQ(ParseDuration("5 minutes").status().message(), "bad duration '5 minutes'");
}

TEST(ParseSizeTest, DecimalAndBinaryUnits) {
  EXPECT_EQ(*ParseSize("1024"), 1024);
  EXPECT_EQ(*ParseSize("2K"), 2000);
  EXPECT_EQ(*ParseSize("4GiB"), 4LL << 30);
  EXPECT_EQ(*ParseSize("4Gi"), 4LL << 30);
  EXPECT_EQ(*ParseSize("1.5MiB"), 1572864);
  EXPECT_EQ(*ParseSize("3G"), 3'000'000'000);
  EXPECT_EQ(*ParseSize("1T"), 1'000'000'000'000);
}

TEST(ParseSizeTest, RejectsUnknownUnits) {
  EXPECT_FALSE(ParseSize("4 gigs").ok());
  EXPECT_FALSE(ParseSize("GiB").ok());
  EXPECT_FALSE(ParseSize("-1").ok());
}

}  // namespace
}  // namespace mlpipe::spec
