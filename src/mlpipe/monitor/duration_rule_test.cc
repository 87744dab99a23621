#include "mlpipe/monitor/duration_rule.h"

#include <gtest/gtest.h>

namespace mlpipe::monitor {
namespace {

TEST(DurationRuleTest, MoreThanToleranceAboveTheMedianOfTheLastFive) {
  // Newest first; the sixth and older runs do not count. Last five sorted:
  // 100 110 120 130 140 -> median 120; 20 % above is 144.
  const std::vector<double> previous = {130, 100, 140, 120, 110, 1000, 1000};
  EXPECT_EQ(CheckDuration(previous, 144), std::nullopt);
  auto reason = CheckDuration(previous, 150);
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(*reason, "run took 2m30s, 25 % above the median 2m00s of the last 5 runs (tolerance 20 %)");
}

TEST(DurationRuleTest, NeedsThreeEarlierRuns) {
  EXPECT_EQ(CheckDuration({}, 500), std::nullopt);
  EXPECT_EQ(CheckDuration({10, 10}, 500), std::nullopt);
  // With three, the median of an even or odd count: {10, 10, 20} -> 10.
  ASSERT_TRUE(CheckDuration({10, 20, 10}, 12.5).has_value());
  // Four: {10, 20, 30, 40} -> 25; 30 is exactly 20 % above: not over.
  EXPECT_EQ(CheckDuration({40, 10, 30, 20}, 30), std::nullopt);
  EXPECT_TRUE(CheckDuration({40, 10, 30, 20}, 30.1).has_value());
}

TEST(DurationRuleTest, MaxDurationAlertsWithoutHistory) {
  DurationRule rule;
  rule.max_duration_s = 3600;
  auto reason = CheckDuration({}, 3700, rule);
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(*reason, "run took 1h01m, over max_duration 1h00m");
  EXPECT_EQ(CheckDuration({}, 3600, rule), std::nullopt);
}

TEST(DurationRuleTest, ToleranceIsConfigurable) {
  DurationRule rule;
  rule.tolerance = 0.5;
  EXPECT_EQ(CheckDuration({100, 100, 100}, 149, rule), std::nullopt);
  EXPECT_TRUE(CheckDuration({100, 100, 100}, 151, rule).has_value());
}

TEST(DurationRuleTest, RulesAreValidated) {
  DurationRule rule;
  EXPECT_TRUE(ValidateDurationRule(rule).ok());
  rule.tolerance = -0.1;
  EXPECT_NE(ValidateDurationRule(rule).message().find("tolerance"), std::string::npos);
  rule = {};
  rule.min_history = 6;
  EXPECT_NE(ValidateDurationRule(rule).message().find("min_history"), std::string::npos);
  rule = {};
  rule.max_duration_s = 0;
  EXPECT_NE(ValidateDurationRule(rule).message().find("max_duration"), std::string::npos);
}

}  // namespace
}  // namespace mlpipe::monitor
