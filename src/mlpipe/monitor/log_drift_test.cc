// The drift check end to end on files: lending_club rows logged by the
// model server's own PredictionLog, read back by the hour and compared with
// the training data's reference statistics.
#include "mlpipe/monitor/log_drift.h"

#include <gtest/gtest.h>

#include <random>

#include "mlpipe/base/testing/temp_dir.h"
#include "mlpipe/monitor/drift_monitor.h"
#include "mlpipe/monitor/test_data.h"
#include "mlpipe/serving/prediction_log.h"

namespace mlpipe::monitor {
namespace {

constexpr int64_t kHourNs = 3600LL * 1'000'000'000;
constexpr int64_t kStartNs = 1796601600LL * 1'000'000'000;  // 2026-12-07T00:00:00Z
constexpr size_t kRowsPerHour = 400;

class LogDriftTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::TrainingData t = testing::LendingClubTraining();
    train_ = std::move(t.features);
    reference_ = std::move(t.reference);
    ASSERT_GT(train_.num_rows(), 0u);
    dir_ = tmp_.Sub("serving/loans");
  }

  // Logs `hours` hours of one-row requests drawn from the training data,
  // int_rate multiplied by `scale` from hour `shift_from` on; every tenth
  // request is also logged by a shadow variant with int_rate doubled.
  void LogTraffic(int hours, int shift_from, double scale) {
    serving::PredictionLogOptions o;
    o.dir = dir_;
    o.deployment = "loans";
    serving::PredictionLog log(o);
    std::mt19937_64 rng(11);
    std::uniform_int_distribution<size_t> pick(0, train_.num_rows() - 1);
    const std::vector<std::string> names = train_.ColumnNames();
    const std::vector<ml::RowPrediction> prediction = {{"good", {0.9f, 0.1f}, 0}};
    for (int h = 0; h < hours; ++h) {
      for (size_t i = 0; i < kRowsPerHour; ++i) {
        const size_t row = pick(rng);
        std::vector<std::vector<data::FieldValue>> columns;
        for (const data::Column& c : train_.columns()) {
          data::FieldValue v;
          if (c.type() == data::ColumnType::kNumeric) {
            v = c.number(row) * (c.name() == "int_rate" && h >= shift_from ? scale : 1.0);
          } else {
            v = c.ValueToString(row);
          }
          columns.push_back({v});
        }
        const std::string id = "r" + std::to_string(h) + "-" + std::to_string(i);
        serving::PredictionRecord r;
        r.id = id;
        r.time_ns = kStartNs + h * kHourNs + static_cast<int64_t>(i) * (kHourNs / kRowsPerHour);
        r.variant = "main";
        r.version = "1";
        r.input_names = names;
        r.columns = columns;
        r.predictions = prediction;
        ASSERT_TRUE(log.Enqueue(r));
        if (i % 10 == 0) {
          for (size_t c = 0; c < names.size(); ++c) {
            if (names[c] == "int_rate") columns[c][0] = std::get<double>(columns[c][0]) * 2;
          }
          r.variant = "shadow";
          r.shadow = true;
          ASSERT_TRUE(log.Enqueue(r));
        }
      }
      log.Flush();
    }
  }

  StatusOr<LogDrift> Hour(int h) {
    LogWindowOptions o;
    o.from_ns = kStartNs + h * kHourNs;
    o.to_ns = o.from_ns + kHourNs;
    return DriftOfLogWindow(dir_, reference_, o);
  }

  mlpipe::testing::TempDir tmp_;
  std::string dir_;
  data::Table train_;
  data::TableStats reference_;
};

TEST_F(LogDriftTest, HourlyWindowsOfTheLogAlertOnlyAfterTheShift) {
  LogTraffic(/*hours=*/8, /*shift_from=*/4, /*scale=*/1.3);
  DriftMonitor monitor;
  std::vector<bool> raised;
  for (int h = 0; h < 8; ++h) {
    auto d = Hour(h);
    ASSERT_TRUE(d.ok()) << d.status().message();
    EXPECT_EQ(d->window.rows, kRowsPerHour) << "hour " << h;
    EXPECT_EQ(d->counts.shadow, kRowsPerHour / 10);
    // Every feature compared, with the reference's types (categorical
    // features read as categories, not inferred).
    EXPECT_EQ(d->window.features.size(), 22u);
    for (const FeatureDrift& f : d->window.features) EXPECT_TRUE(f.checked) << f.feature << ": " << f.reason;
    if (h < 4) {
      EXPECT_NE(d->window.level, DriftLevel::kAlert) << "hour " << h << ": " << d->window.reason;
    } else {
      EXPECT_EQ(d->window.level, DriftLevel::kAlert) << "hour " << h;
      EXPECT_EQ(d->window.worst_feature, "int_rate");
    }
    raised.push_back(monitor.Observe(d->window).raise);
  }
  EXPECT_EQ(raised, (std::vector<bool>{false, false, false, false, false, false, true, false}));
}

TEST_F(LogDriftTest, BadOptionsAndMissingLogAreErrors) {
  LogWindowOptions o;
  o.from_ns = kStartNs;
  o.to_ns = kStartNs + kHourNs;
  EXPECT_EQ(DriftOfLogWindow(dir_, reference_, o).status().code(), StatusCode::kNotFound);
  DriftOptions bad;
  bad.ks_alpha = 0;
  EXPECT_EQ(DriftOfLogWindow(dir_, reference_, o, bad).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlpipe::monitor
