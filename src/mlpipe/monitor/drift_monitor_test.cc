#include "mlpipe/monitor/drift_monitor.h"

#include <gtest/gtest.h>

namespace mlpipe::monitor {
namespace {

using Kind = DriftDecision::Kind;

DriftWindow Window(DriftLevel level) {
  DriftWindow w;
  w.rows = 1000;
  w.level = level;
  w.reason = level == DriftLevel::kAlert ? "psi 0.31 >= 0.25 on int_rate" : "no drift (max psi 0.02 on x)";
  return w;
}

DriftWindow Skipped() {
  DriftWindow w;
  w.rows = 10;
  w.skipped = true;
  w.reason = "10 rows < min_rows 200";
  return w;
}

TEST(DriftMonitorTest, AlertsOnceAfterKConsecutiveWindowsThenReArms) {
  DriftMonitor m;
  EXPECT_EQ(m.Observe(Window(DriftLevel::kAlert)).kind, Kind::kPending);
  EXPECT_EQ(m.Observe(Window(DriftLevel::kAlert)).kind, Kind::kPending);
  DriftDecision third = m.Observe(Window(DriftLevel::kAlert));
  EXPECT_EQ(third.kind, Kind::kAlert);
  EXPECT_TRUE(third.raise);
  EXPECT_EQ(third.reason, "psi 0.31 >= 0.25 on int_rate for 3 windows");
  DriftDecision fourth = m.Observe(Window(DriftLevel::kAlert));
  EXPECT_EQ(fourth.kind, Kind::kOngoing);
  EXPECT_FALSE(fourth.raise);
  EXPECT_FALSE(m.armed());
  DriftDecision over = m.Observe(Window(DriftLevel::kOk));
  EXPECT_EQ(over.kind, Kind::kOk);
  EXPECT_TRUE(over.cleared);
  EXPECT_TRUE(m.armed());
  EXPECT_FALSE(m.Observe(Window(DriftLevel::kOk)).cleared);  // cleared once
  EXPECT_EQ(m.Observe(Window(DriftLevel::kAlert)).kind, Kind::kPending);
  EXPECT_EQ(m.Observe(Window(DriftLevel::kAlert)).kind, Kind::kPending);
  EXPECT_TRUE(m.Observe(Window(DriftLevel::kAlert)).raise);
}

TEST(DriftMonitorTest, AnInterruptedRunStartsOver) {
  DriftMonitor m;
  m.Observe(Window(DriftLevel::kAlert));
  m.Observe(Window(DriftLevel::kAlert));
  EXPECT_EQ(m.Observe(Window(DriftLevel::kWarn)).kind, Kind::kWarn);
  EXPECT_EQ(m.streak(), 0u);
  DriftDecision d = m.Observe(Window(DriftLevel::kAlert));
  EXPECT_EQ(d.kind, Kind::kPending);
  EXPECT_EQ(d.reason, "psi 0.31 >= 0.25 on int_rate for 1 window");
}

TEST(DriftMonitorTest, SkippedWindowsNeitherCountNorBreakTheRun) {
  DriftMonitor m;
  m.Observe(Window(DriftLevel::kAlert));
  DriftDecision s = m.Observe(Skipped());
  EXPECT_EQ(s.kind, Kind::kSkipped);
  EXPECT_EQ(s.reason, "window skipped: 10 rows < min_rows 200");
  m.Observe(Window(DriftLevel::kAlert));
  EXPECT_EQ(m.streak(), 2u);
  EXPECT_TRUE(m.Observe(Window(DriftLevel::kAlert)).raise);
}

TEST(DriftMonitorTest, KOfOneAlertsOnTheFirstWindow) {
  DriftMonitorOptions o;
  o.consecutive = 1;
  ASSERT_TRUE(ValidateDriftMonitorOptions(o).ok());
  DriftMonitor m(o);
  EXPECT_TRUE(m.Observe(Window(DriftLevel::kAlert)).raise);
  o.consecutive = 0;
  EXPECT_FALSE(ValidateDriftMonitorOptions(o).ok());
}

}  // namespace
}  // namespace mlpipe::monitor
