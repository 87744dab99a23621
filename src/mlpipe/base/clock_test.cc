#include "mlpipe/base/clock.h"

#include <gtest/gtest.h>

namespace mlpipe {
namespace {

TEST(ClockTest, FakeClockMovesOnlyWhenTold) {
  FakeClock clock;
  int64_t t0 = clock.MonotonicNanos();
  int64_t w0 = clock.WallNanos();
  clock.SleepFor(5);
  EXPECT_EQ(clock.MonotonicNanos(), t0 + 5);
  EXPECT_EQ(clock.WallNanos(), w0 + 5);
}

TEST(ClockTest, RealClockIsMonotonic) {
  int64_t a = RealClock().MonotonicNanos();
  int64_t b = RealClock().MonotonicNanos();
  EXPECT_LE(a, b);
  EXPECT_GT(RealClock().WallNanos(), 1'600'000'000'000'000'000);
}

// 1700000000 s is 2023-11-14 22:13:20 UTC (`date -u -d @1700000000`).
TEST(ClockTest, Rfc3339IsUtcWithMilliseconds) {
  EXPECT_EQ(FormatRfc3339Utc(1'700'000'000'123'456'789), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(FormatRfc3339Utc(1'700'000'000'000'000'000), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(FormatRfc3339Utc(0), "");
}

}  // namespace
}  // namespace mlpipe
