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

TEST(DurationTextTest, LargestWholeUnitAndReadsBack) {
  EXPECT_EQ(DurationText(30LL * 60 * 1'000'000'000), "30m");
  EXPECT_EQ(DurationText(10'000'000'000), "10s");
  EXPECT_EQ(DurationText(1'500'000'000), "1500ms");
  EXPECT_EQ(DurationText(86'400'000'000'000), "1d");
  EXPECT_EQ(DurationText(90LL * 60 * 1'000'000'000), "90m");
  EXPECT_EQ(DurationText(0), "0s");
  for (int64_t ns : {int64_t{1}, int64_t{1'234'567}, int64_t{7'200'000'000'000}, int64_t{45'000'000'000}}) {
    EXPECT_EQ(*ParseDuration(DurationText(ns)), ns) << DurationText(ns);
  }
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
