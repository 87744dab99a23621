#include "mlpipe/monitor/monitor_json.h"

#include <gtest/gtest.h>

namespace mlpipe::monitor {
namespace {

TEST(MonitorJsonTest, DriftWindowWithUndefinedNumbersAsNull) {
  data::Column ref("grade", data::ColumnType::kCategorical), win("grade", data::ColumnType::kCategorical);
  for (int i = 0; i < 400; ++i) ref.AppendString(i % 2 ? "A" : "B");
  for (int i = 0; i < 300; ++i) win.AppendString("A");
  data::Table ref_table, window;
  ASSERT_TRUE(ref_table.AddColumn(ref).ok());
  ASSERT_TRUE(window.AddColumn(win).ok());
  nlohmann::json j = ToJson(ComputeDriftWindow(data::ComputeStats(ref_table), window));
  EXPECT_EQ(j["rows"], 300);
  EXPECT_EQ(j["level"], "alert");
  EXPECT_EQ(j["worst_feature"], "grade");
  ASSERT_EQ(j["features"].size(), 1u);
  EXPECT_EQ(j["features"][0]["type"], "categorical");
  EXPECT_TRUE(j["features"][0]["ks"].is_null());  // no KS for a categorical feature
  EXPECT_GT(j["features"][0]["psi"].get<double>(), 1.0);
  // Round trip through text: null stays null (NaN would not be JSON).
  EXPECT_EQ(nlohmann::json::parse(j.dump()), j);
}

TEST(MonitorJsonTest, DecisionAndPerformance) {
  DriftDecision d;
  d.kind = DriftDecision::Kind::kAlert;
  d.raise = true;
  d.streak = 3;
  d.reason = "psi 0.31 >= 0.25 on int_rate for 3 windows";
  EXPECT_EQ(
      ToJson(d),
      nlohmann::json(
          {{"decision", "alert"}, {"raise", true}, {"cleared", false}, {"streak", 3}, {"reason", d.reason}}));
  PerformanceComparison c;
  c.estimated = EstimatePerformance({0.8, 0.2});
  c.realised = RealisedPerformance({}, {});
  nlohmann::json j = ToJson(c);
  EXPECT_DOUBLE_EQ(j["estimated"]["roc_auc"].get<double>(), 0.8);
  EXPECT_TRUE(j["realised"]["accuracy"].is_null());
  EXPECT_EQ(j["realised"]["rows"], 0);
}

}  // namespace
}  // namespace mlpipe::monitor
