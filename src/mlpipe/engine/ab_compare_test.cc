#include "mlpipe/engine/ab_compare.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace mlpipe::engine {
namespace {

// A binary model on `n` rows (labels 0, 1, 0, 1, ...) that is right on a row
// unless row % 10 < wrong_per_10: p(true class) 0.8 when right, 0.3 when wrong.
ScoredModel BinaryModel(size_t n, size_t wrong_per_10) {
  ScoredModel m;
  m.task = ml::Task::kBinary;
  m.predictions.rows = n;
  m.predictions.num_classes = 2;
  for (size_t i = 0; i < n; ++i) {
    const int label = static_cast<int>(i % 2);
    m.y.push_back(static_cast<float>(label));
    const float p_true = i % 10 < wrong_per_10 ? 0.3F : 0.8F;
    const float p1 = label == 1 ? p_true : 1 - p_true;
    m.predictions.values.push_back(1 - p1);
    m.predictions.values.push_back(p1);
  }
  return m;
}

// A regression model whose error on every row is +err or -err (alternating).
ScoredModel RegressionModel(size_t n, float err) {
  ScoredModel m;
  m.task = ml::Task::kRegression;
  m.predictions.rows = n;
  for (size_t i = 0; i < n; ++i) {
    const float y = static_cast<float>(i % 13);
    m.y.push_back(y);
    m.predictions.values.push_back(y + (i % 2 == 0 ? err : -err) * (1.0F + static_cast<float>(i % 3) / 4));
  }
  return m;
}

const stats::BootstrapOptions kOptions{.resamples = 1000, .seed = 7, .confidence = 0.95};

TEST(AbCompareTest, AccuracyDeltaIsBMinusAAndAHigherBIsBetter) {
  auto r = CompareModels(BinaryModel(200, 3), BinaryModel(200, 1), {"accuracy"}, kOptions);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  const AbMetric& m = (*r)[0];
  EXPECT_DOUBLE_EQ(m.a, 0.7);
  EXPECT_DOUBLE_EQ(m.b, 0.9);
  EXPECT_DOUBLE_EQ(m.delta, m.b - m.a);
  EXPECT_GT(m.lo, 0);
  EXPECT_EQ(m.winner, AbWinner::kB);
  EXPECT_TRUE(m.higher_is_better);

  auto swapped = CompareModels(BinaryModel(200, 1), BinaryModel(200, 3), {"accuracy"}, kOptions);
  ASSERT_TRUE(swapped.ok());
  EXPECT_LT((*swapped)[0].hi, 0);
  EXPECT_EQ((*swapped)[0].winner, AbWinner::kA);
}

TEST(AbCompareTest, RmseLowerIsBetterSoANegativeDeltaFavoursB) {
  auto r = CompareModels(RegressionModel(300, 2.0F), RegressionModel(300, 0.5F), {"rmse", "r2"}, kOptions);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const AbMetric& rmse = (*r)[0];
  EXPECT_EQ(rmse.name, "rmse");
  EXPECT_FALSE(rmse.higher_is_better);
  EXPECT_LT(rmse.delta, 0);
  EXPECT_LT(rmse.hi, 0);
  EXPECT_EQ(rmse.winner, AbWinner::kB);
  const AbMetric& r2 = (*r)[1];
  EXPECT_GT(r2.delta, 0);
  EXPECT_EQ(r2.winner, AbWinner::kB);  // both metrics agree once oriented

  auto swapped = CompareModels(RegressionModel(300, 0.5F), RegressionModel(300, 2.0F), {"rmse"}, kOptions);
  ASSERT_TRUE(swapped.ok());
  EXPECT_GT((*swapped)[0].lo, 0);
  EXPECT_EQ((*swapped)[0].winner, AbWinner::kA);
}

TEST(AbCompareTest, TheIntervalContainsTheEstimate) {
  auto r =
      CompareModels(BinaryModel(120, 3), BinaryModel(120, 1), MetricsOfTask(ml::Task::kBinary), kOptions);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 6u);
  for (const AbMetric& m : *r) {
    EXPECT_LE(m.lo, m.delta) << m.name;
    EXPECT_GE(m.hi, m.delta) << m.name;
    EXPECT_LT(m.lo, m.hi) << m.name;
    EXPECT_DOUBLE_EQ(m.delta, m.b - m.a) << m.name;
    EXPECT_EQ(m.resamples + m.skipped, 1000) << m.name;
  }
}

TEST(AbCompareTest, TheSameSeedGivesTheSameNumbersAndAnotherSeedOthers) {
  const ScoredModel a = BinaryModel(150, 3), b = BinaryModel(150, 2);
  auto first = CompareModels(a, b, {"roc_auc", "log_loss"}, kOptions);
  auto again = CompareModels(a, b, {"roc_auc", "log_loss"}, kOptions);
  auto other =
      CompareModels(a, b, {"roc_auc", "log_loss"}, {.resamples = 1000, .seed = 8, .confidence = 0.95});
  ASSERT_TRUE(first.ok() && again.ok() && other.ok());
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*first)[i].lo, (*again)[i].lo);
    EXPECT_EQ((*first)[i].hi, (*again)[i].hi);
    EXPECT_EQ((*first)[i].delta, (*other)[i].delta);  // the estimate does not depend on the draws
    EXPECT_NE((*first)[i].lo, (*other)[i].lo);
  }
}

TEST(AbCompareTest, IdenticalModelsShowNoDifference) {
  auto r = CompareModels(BinaryModel(100, 2), BinaryModel(100, 2), {"f1"}, kOptions);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].delta, 0);
  EXPECT_EQ((*r)[0].lo, 0);
  EXPECT_EQ((*r)[0].hi, 0);
  EXPECT_EQ((*r)[0].winner, AbWinner::kNone);
}

TEST(AbCompareTest, BadInputsAreInvalidArgument) {
  auto tasks = CompareModels(BinaryModel(50, 1), RegressionModel(50, 1), {"accuracy"}, kOptions);
  EXPECT_EQ(tasks.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(tasks.status().message().find("binary model and model B a regression one"), std::string::npos);
  auto rows = CompareModels(BinaryModel(50, 1), BinaryModel(60, 1), {"accuracy"}, kOptions);
  EXPECT_EQ(rows.status().code(), StatusCode::kInvalidArgument);
  auto metric = CompareModels(BinaryModel(50, 1), BinaryModel(50, 1), {"rmse"}, kOptions);
  EXPECT_EQ(metric.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(metric.status().message().find("not a metric of a binary model"), std::string::npos);
  auto resamples = CompareModels(BinaryModel(50, 1), BinaryModel(50, 1), {"accuracy"}, {.resamples = 10});
  EXPECT_EQ(resamples.status().code(), StatusCode::kInvalidArgument);
}

TEST(AbCompareTest, AMetricUndefinedOnTheRowsIsLeftOutOfTheDefaultsAndAnErrorWhenAsked) {
  ScoredModel a = BinaryModel(40, 1), b = BinaryModel(40, 2);
  for (size_t i = 0; i < 40; ++i) {  // one class only: ROC AUC is undefined
    a.y[i] = 1;
    b.y[i] = 1;
  }
  const std::vector<std::string> defined = DefinedMetrics(a, b);
  EXPECT_EQ(std::find(defined.begin(), defined.end(), "roc_auc"), defined.end());
  EXPECT_NE(std::find(defined.begin(), defined.end(), "accuracy"), defined.end());
  auto asked = CompareModels(a, b, {"roc_auc"}, kOptions);
  EXPECT_EQ(asked.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(asked.status().message().find("undefined"), std::string::npos);
}

TEST(AbCompareTest, VerdictNamesTheWinnerWithTheDeltaAndItsInterval) {
  AbMetric m;
  m.name = "roc_auc";
  m.delta = 0.0123;
  m.lo = 0.004;
  m.hi = 0.0201;
  m.winner = AbWinner::kB;
  EXPECT_EQ(AbVerdict(m, 0.95), "B beats A on roc_auc: +0.0123 [+0.0040, +0.0201] at 95 %");
  m.winner = AbWinner::kNone;
  m.lo = -0.002;
  EXPECT_EQ(AbVerdict(m, 0.9), "no difference on roc_auc: +0.0123 [-0.0020, +0.0201] at 90 %");
  m.name = "rmse";  // lower is better: a positive delta favours A
  m.lo = 0.004;
  m.winner = AbWinner::kA;
  EXPECT_EQ(AbVerdict(m, 0.99), "A beats B on rmse: +0.0123 [+0.0040, +0.0201] at 99 %");
  EXPECT_EQ(DefaultPrimaryMetric(ml::Task::kBinary), "roc_auc");
  EXPECT_EQ(DefaultPrimaryMetric(ml::Task::kMulticlass), "accuracy");
  EXPECT_EQ(DefaultPrimaryMetric(ml::Task::kRegression), "rmse");
}

}  // namespace
}  // namespace mlpipe::engine
