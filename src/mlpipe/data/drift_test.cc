#include "mlpipe/data/drift.h"

#include <random>

#include <gtest/gtest.h>

namespace mlpipe::data {
namespace {

std::vector<double> Normal(double mean, double sd, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> dist(mean, sd);
  std::vector<double> v(n);
  for (double& x : v) x = dist(rng);
  return v;
}

NumericStats Reference(const std::vector<double>& values) {
  Column c("x", ColumnType::kNumeric);
  for (double v : values) c.AppendNumber(v);
  return ComputeColumnStats(c).numeric;
}

TEST(DriftTest, SameDistributionScoresLow) {
  NumericStats ref = Reference(Normal(0, 1, 20000, 1));
  auto cur = Normal(0, 1, 5000, 2);
  EXPECT_LT(NumericPsi(ref, cur), 0.02);
  EXPECT_LT(KsStatistic(ref, cur), 0.03);
}

TEST(DriftTest, ShiftedDistributionScoresHigh) {
  NumericStats ref = Reference(Normal(0, 1, 20000, 1));
  auto cur = Normal(1, 1, 5000, 2);
  EXPECT_GT(NumericPsi(ref, cur), 0.5);
  double ks = KsStatistic(ref, cur);
  EXPECT_NEAR(ks, 0.38, 0.04);  // exact two-sample KS for a 1-sd shift is ~0.383
}

TEST(DriftTest, CategoricalPsiSeesNewAndShiftedCategories) {
  Column ref_col("c", ColumnType::kCategorical);
  for (int i = 0; i < 1000; ++i) ref_col.AppendString(i % 2 ? "a" : "b");
  CategoricalStats ref = ComputeColumnStats(ref_col).categorical;
  Column same("c", ColumnType::kCategorical), shifted("c", ColumnType::kCategorical);
  for (int i = 0; i < 500; ++i) {
    same.AppendString(i % 2 ? "b" : "a");
    shifted.AppendString(i % 5 == 0 ? "a" : "new");
  }
  EXPECT_LT(CategoricalPsi(ref, 1000, same), 1e-9);
  EXPECT_GT(CategoricalPsi(ref, 1000, shifted), 1.0);
}

}  // namespace
}  // namespace mlpipe::data
