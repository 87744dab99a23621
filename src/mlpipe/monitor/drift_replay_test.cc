// The drift monitor on real data: the lending_club example's training data
// replayed as live traffic must not alert (at most one false alert in 30
// windows), and the same traffic with one feature scaled must alert after
// K windows.
#include <gtest/gtest.h>

#include <random>

#include "mlpipe/monitor/drift_monitor.h"
#include "mlpipe/monitor/test_data.h"

namespace mlpipe::monitor {
namespace {

constexpr size_t kWindowRows = 500;  // a few hours of a small deployment's logged requests
constexpr int kWindows = 30;

class DriftReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::TrainingData t = testing::LendingClubTraining();
    train_ = std::move(t.features);
    reference_ = std::move(t.reference);
    ASSERT_GT(train_.num_rows(), 0u);
  }

  // Rows drawn with replacement from the training data.
  data::Table Draw(std::mt19937_64& rng) const {
    std::uniform_int_distribution<size_t> row(0, train_.num_rows() - 1);
    std::vector<size_t> rows(kWindowRows);
    for (size_t& r : rows) r = row(rng);
    return train_.Take(rows);
  }

  static data::Table Scaled(const data::Table& t, const std::string& name, double factor) {
    data::Table out;
    for (const data::Column& c : t.columns()) {
      if (c.name() != name) {
        EXPECT_TRUE(out.AddColumn(c).ok());
        continue;
      }
      data::Column scaled(name, data::ColumnType::kNumeric);
      for (double v : c.numbers()) scaled.AppendNumber(v * factor);
      EXPECT_TRUE(out.AddColumn(std::move(scaled)).ok());
    }
    return out;
  }

  data::Table train_;
  data::TableStats reference_;
};

TEST_F(DriftReplayTest, TrainingDataItselfRaisesAtMostOneAlertIn30Windows) {
  std::mt19937_64 rng(20261206);
  DriftMonitor monitor;
  int alerts = 0, alerting_windows = 0;
  for (int i = 0; i < kWindows; ++i) {
    DriftWindow w = ComputeDriftWindow(reference_, Draw(rng));
    ASSERT_FALSE(w.skipped);
    EXPECT_EQ(w.features.size(), 22u);  // every feature compared
    if (w.level == DriftLevel::kAlert) ++alerting_windows;
    DriftDecision d = monitor.Observe(w);
    if (d.raise) ++alerts;
  }
  EXPECT_LE(alerts, 1);
  RecordProperty("alerting_windows", alerting_windows);
}

TEST_F(DriftReplayTest, ScaledFeatureAlertsAfterKWindows) {
  std::mt19937_64 rng(7);
  DriftMonitor monitor;
  // 1.25 x the interest rate: a 25 % rate hike in live traffic.
  for (int i = 1; i <= 5; ++i) {
    DriftWindow w = ComputeDriftWindow(reference_, Scaled(Draw(rng), "int_rate", 1.25));
    EXPECT_EQ(w.level, DriftLevel::kAlert) << w.reason;
    EXPECT_EQ(w.worst_feature, "int_rate") << w.reason;
    DriftDecision d = monitor.Observe(w);
    EXPECT_EQ(d.raise, i == 3) << "window " << i << ": " << d.reason;
    if (i == 3) {
      EXPECT_NE(d.reason.find("on int_rate"), std::string::npos) << d.reason;
      EXPECT_NE(d.reason.find("for 3 windows"), std::string::npos) << d.reason;
    }
  }
}

}  // namespace
}  // namespace mlpipe::monitor
