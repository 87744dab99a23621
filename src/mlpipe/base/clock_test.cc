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

}  // namespace
}  // namespace mlpipe
