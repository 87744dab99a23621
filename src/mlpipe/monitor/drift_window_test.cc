#include "mlpipe/monitor/drift_window.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace mlpipe::monitor {
namespace {

data::Column NumericColumn(const std::string& name, const std::vector<double>& values) {
  data::Column c(name, data::ColumnType::kNumeric);
  for (double v : values) c.AppendNumber(v);
  return c;
}

data::Table OneColumnTable(data::Column column) {
  data::Table t;
  EXPECT_TRUE(t.AddColumn(std::move(column)).ok());
  return t;
}

// Reference: x = 0, 1, ..., 99 in two equal-width bins, [0, 49.5) and
// [49.5, 99]: 50 values each, shares 0.5 and 0.5.
data::TableStats TwoBinReference() {
  std::vector<double> values;
  for (int i = 0; i < 100; ++i) values.push_back(i);
  data::StatsOptions so;
  so.histogram_bins = 2;
  return data::ComputeStats(OneColumnTable(NumericColumn("x", values)), so);
}

TEST(DriftWindowTest, PsiWorkedByHand) {
  // Window: 160 values in the first bin (all 10) and 40 in the second (all
  // 90): shares 0.8 and 0.2. By hand:
  //   PSI = (0.8 - 0.5) ln(0.8 / 0.5) + (0.2 - 0.5) ln(0.2 / 0.5)
  //       = 0.3 * 0.4700036 + (-0.3) * (-0.9162907)
  //       = 0.1410011 + 0.2748872 = 0.4158883
  std::vector<double> values(160, 10.0);
  values.insert(values.end(), 40, 90.0);
  DriftWindow w = ComputeDriftWindow(TwoBinReference(), OneColumnTable(NumericColumn("x", values)));
  ASSERT_EQ(w.features.size(), 1u);
  EXPECT_NEAR(w.features[0].psi, 0.4158883, 1e-6);
  EXPECT_EQ(w.level, DriftLevel::kAlert);
  EXPECT_EQ(w.worst_feature, "x");
  EXPECT_NE(w.reason.find("psi 0.42 >= 0.25"), std::string::npos) << w.reason;
  EXPECT_NE(w.reason.find("on x"), std::string::npos) << w.reason;
}

TEST(DriftWindowTest, WarnBetweenThresholds) {
  // Shares 0.65 / 0.35: PSI = 0.15 ln(1.3) + (-0.15) ln(0.7)
  //   = 0.15 * 0.262364 + 0.15 * 0.356675 = 0.0928556, under 0.1: ok;
  // shares 0.7 / 0.3: 0.2 * 0.336472 + 0.2 * 0.510826 = 0.1694596: warn.
  std::vector<double> ok_values(130, 10.0), warn_values(140, 10.0);
  ok_values.insert(ok_values.end(), 70, 90.0);
  warn_values.insert(warn_values.end(), 60, 90.0);
  DriftOptions o;
  o.ks_test = false;  // PSI only: KS would reject both (200 copies of two values)
  DriftWindow ok = ComputeDriftWindow(TwoBinReference(), OneColumnTable(NumericColumn("x", ok_values)), o);
  DriftWindow warn =
      ComputeDriftWindow(TwoBinReference(), OneColumnTable(NumericColumn("x", warn_values)), o);
  EXPECT_NEAR(ok.features[0].psi, 0.0928556, 1e-6);
  EXPECT_EQ(ok.level, DriftLevel::kOk);
  EXPECT_EQ(ok.reason.rfind("no drift", 0), 0u) << ok.reason;
  EXPECT_NEAR(warn.features[0].psi, 0.1694596, 1e-6);
  EXPECT_EQ(warn.level, DriftLevel::kWarn);
  EXPECT_NE(warn.reason.find("psi 0.17 >= 0.10 on x"), std::string::npos) << warn.reason;
}

std::vector<double> Normal(double mean, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> dist(mean, 1.0);
  std::vector<double> v(n);
  for (double& x : v) x = dist(rng);
  return v;
}

TEST(DriftWindowTest, KsAlertsOnShiftPsiMisses) {
  // A 0.3-sd shift: PSI over 20 bins about 0.09 (under warn), but KS on
  // 2,000 rows against 20,000 has p far below 0.05.
  // (alpha 0.001: the same distribution passes in all but 0.1 % of draws).
  data::TableStats ref = data::ComputeStats(OneColumnTable(NumericColumn("x", Normal(0, 20000, 1))));
  DriftOptions o;
  o.ks_alpha = 0.001;
  DriftWindow same = ComputeDriftWindow(ref, OneColumnTable(NumericColumn("x", Normal(0, 2000, 2))), o);
  DriftWindow shifted = ComputeDriftWindow(ref, OneColumnTable(NumericColumn("x", Normal(0.3, 2000, 3))), o);
  EXPECT_EQ(same.level, DriftLevel::kOk) << same.reason;
  EXPECT_GT(same.features[0].ks_p_value, 0.001);
  EXPECT_EQ(shifted.level, DriftLevel::kAlert) << shifted.reason;
  EXPECT_LT(shifted.features[0].psi, 0.25);
  EXPECT_LT(shifted.features[0].ks_p_value, 1e-6);
  EXPECT_NE(shifted.reason.find("ks 0.1"), std::string::npos) << shifted.reason;
  EXPECT_EQ(shifted.ks_tests, 1u);
}

TEST(DriftWindowTest, BonferroniDividesAlphaByTheFeaturesTested) {
  data::Table ref_table, window;
  for (int f = 0; f < 4; ++f) {
    ASSERT_TRUE(ref_table.AddColumn(NumericColumn("n" + std::to_string(f), Normal(0, 5000, 10 + f))).ok());
    ASSERT_TRUE(window.AddColumn(NumericColumn("n" + std::to_string(f), Normal(0, 500, 20 + f))).ok());
  }
  data::Column cat_ref("c", data::ColumnType::kCategorical), cat_win("c", data::ColumnType::kCategorical);
  for (int i = 0; i < 5000; ++i) cat_ref.AppendString(i % 3 == 0 ? "a" : "b");
  for (int i = 0; i < 500; ++i) cat_win.AppendString(i % 3 == 0 ? "a" : "b");
  ASSERT_TRUE(ref_table.AddColumn(cat_ref).ok());
  ASSERT_TRUE(window.AddColumn(cat_win).ok());
  DriftWindow w = ComputeDriftWindow(data::ComputeStats(ref_table), window);
  EXPECT_EQ(w.ks_tests, 4u);  // the categorical feature has PSI only
  EXPECT_DOUBLE_EQ(w.ks_threshold, 0.05 / 4);
  ASSERT_EQ(w.features.size(), 5u);
  EXPECT_TRUE(std::isnan(w.features[4].ks));
  EXPECT_NEAR(w.features[4].psi, 0, 1e-3);
}

TEST(DriftWindowTest, CategoricalShiftAlerts) {
  data::Column ref("grade", data::ColumnType::kCategorical), win("grade", data::ColumnType::kCategorical);
  for (int i = 0; i < 1000; ++i) ref.AppendString(i % 2 ? "A" : "B");
  for (int i = 0; i < 300; ++i) win.AppendString(i % 10 == 0 ? "B" : "A");  // shares 0.9 / 0.1
  DriftWindow w = ComputeDriftWindow(data::ComputeStats(OneColumnTable(ref)), OneColumnTable(win));
  // By hand: 0.4 ln(0.9 / 0.5) + (-0.4) ln(0.1 / 0.5) = 0.4 * 0.587787 + 0.4 * 1.609438 = 0.878890
  // (the "other" bucket is empty on both sides: floored shares, contributes 0).
  EXPECT_NEAR(w.features[0].psi, 0.878890, 1e-5);
  EXPECT_EQ(w.level, DriftLevel::kAlert);
}

TEST(DriftWindowTest, SmallWindowIsSkippedWithReason) {
  DriftOptions o;
  o.min_rows = 500;
  DriftWindow w = ComputeDriftWindow(TwoBinReference(), OneColumnTable(NumericColumn("x", {1, 2, 3})), o);
  EXPECT_TRUE(w.skipped);
  EXPECT_TRUE(w.features.empty());
  EXPECT_EQ(w.reason, "3 rows < min_rows 500");
}

TEST(DriftWindowTest, AFeatureMostlyMissingIsNotJudged) {
  data::Column x("x", data::ColumnType::kNumeric);
  for (int i = 0; i < 300; ++i) x.AppendNumber(i < 20 ? 90.0 : NAN);
  DriftWindow w = ComputeDriftWindow(TwoBinReference(), OneColumnTable(x));
  ASSERT_EQ(w.features.size(), 1u);
  EXPECT_FALSE(w.features[0].checked);
  EXPECT_EQ(w.features[0].values, 20u);
  EXPECT_EQ(w.features[0].reason, "20 values < min_rows 200");
  EXPECT_EQ(w.level, DriftLevel::kOk);
}

TEST(DriftWindowTest, FeaturesNotComparableSayWhy) {
  data::Table ref_table;
  ASSERT_TRUE(ref_table.AddColumn(NumericColumn("x", Normal(0, 1000, 1))).ok());
  ASSERT_TRUE(ref_table.AddColumn(NumericColumn("label", Normal(0, 1000, 2))).ok());
  data::Table window;
  data::Column x("x", data::ColumnType::kCategorical);
  for (int i = 0; i < 300; ++i) x.AppendString("text");
  ASSERT_TRUE(window.AddColumn(x).ok());
  DriftOptions o;
  o.features = {"x", "y"};
  DriftWindow w = ComputeDriftWindow(data::ComputeStats(ref_table), window, o);
  ASSERT_EQ(w.features.size(), 1u);  // "label" is not requested
  EXPECT_FALSE(w.features[0].checked);
  EXPECT_EQ(w.features[0].reason, "the window's column is categorical, the reference's numeric");
  EXPECT_EQ(w.missing, std::vector<std::string>{"y"});
  EXPECT_EQ(w.reason, "no feature could be compared with the reference");
  EXPECT_TRUE(w.skipped);
}

TEST(DriftWindowTest, OptionsAreValidated) {
  DriftOptions o;
  EXPECT_TRUE(ValidateDriftOptions(o).ok());
  o.psi_alert = 0.05;
  EXPECT_NE(ValidateDriftOptions(o).message().find("psi_alert"), std::string::npos);
  o = {};
  o.ks_alpha = 1.5;
  EXPECT_NE(ValidateDriftOptions(o).message().find("ks_alpha"), std::string::npos);
}

}  // namespace
}  // namespace mlpipe::monitor
