#include "mlpipe/ml/metrics.h"

#include <cmath>

#include <gtest/gtest.h>

namespace mlpipe::ml {
namespace {

Predictions Binary(const std::vector<float>& p1) {
  Predictions p;
  p.rows = p1.size();
  p.num_classes = 2;
  for (float v : p1) {
    p.values.push_back(1 - v);
    p.values.push_back(v);
  }
  return p;
}

TEST(MetricsTest, BinaryClassificationMatchesHandComputedValues) {
  std::vector<int> y = {0, 0, 1, 1};
  Predictions p = Binary({0.1f, 0.4f, 0.35f, 0.8f});
  std::vector<int> pred = p.PredictedClasses();
  EXPECT_EQ(pred, (std::vector<int>{0, 0, 0, 1}));
  EXPECT_DOUBLE_EQ(Accuracy(y, pred), 0.75);
  EXPECT_DOUBLE_EQ(Precision(y, pred, 2), 1.0);
  EXPECT_DOUBLE_EQ(Recall(y, pred, 2), 0.5);
  EXPECT_NEAR(F1(y, pred, 2), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(RocAuc(y, p), 0.75, 1e-12);
  EXPECT_NEAR(LogLoss(y, p), (-std::log(0.9) - std::log(0.6) - std::log(0.35) - std::log(0.8)) / 4, 1e-6);
  auto cm = ConfusionMatrix(y, pred, 2);
  EXPECT_EQ(cm, (std::vector<std::vector<int64_t>>{{2, 0}, {1, 1}}));
}

TEST(MetricsTest, RocAucCountsTiesAsHalf) {
  EXPECT_DOUBLE_EQ(BinaryRocAuc({0, 1}, {0.5f, 0.5f}), 0.5);
  EXPECT_DOUBLE_EQ(BinaryRocAuc({0, 0, 1}, {0.2f, 0.7f, 0.7f}), 0.75);
  EXPECT_TRUE(std::isnan(BinaryRocAuc({1, 1}, {0.2f, 0.7f})));
}

TEST(MetricsTest, RocCurveStepsThroughEachThreshold) {
  auto roc = RocCurve({0, 0, 1, 1}, {0.1f, 0.4f, 0.35f, 0.8f});
  ASSERT_EQ(roc.size(), 5u);
  EXPECT_DOUBLE_EQ(roc[0].x, 0);
  EXPECT_DOUBLE_EQ(roc[0].y, 0);
  EXPECT_DOUBLE_EQ(roc[1].x, 0);
  EXPECT_DOUBLE_EQ(roc[1].y, 0.5);
  EXPECT_DOUBLE_EQ(roc[2].x, 0.5);
  EXPECT_DOUBLE_EQ(roc[2].y, 0.5);
  EXPECT_DOUBLE_EQ(roc[3].x, 0.5);
  EXPECT_DOUBLE_EQ(roc[3].y, 1);
  EXPECT_DOUBLE_EQ(roc[4].x, 1);
  EXPECT_NEAR(roc[4].threshold, 0.1, 1e-6);
  auto pr = PrCurve({0, 0, 1, 1}, {0.1f, 0.4f, 0.35f, 0.8f});
  ASSERT_EQ(pr.size(), 4u);
  EXPECT_DOUBLE_EQ(pr[0].x, 0.5);  // recall at threshold 0.8
  EXPECT_DOUBLE_EQ(pr[0].y, 1.0);  // precision
  EXPECT_DOUBLE_EQ(pr[3].x, 1.0);
  EXPECT_DOUBLE_EQ(pr[3].y, 0.5);
}

TEST(MetricsTest, CurvesAreDownsampledTo200PointsKeepingTheEnds) {
  std::vector<int> y;
  std::vector<float> s;
  for (int i = 0; i < 5000; ++i) {
    y.push_back(i % 3 == 0);
    s.push_back(static_cast<float>(i) / 5000);
  }
  auto roc = RocCurve(y, s);
  ASSERT_EQ(roc.size(), kMaxCurvePoints);
  EXPECT_DOUBLE_EQ(roc.front().x, 0);
  EXPECT_DOUBLE_EQ(roc.back().x, 1);
  EXPECT_DOUBLE_EQ(roc.back().y, 1);
  EXPECT_LE(PrCurve(y, s).size(), kMaxCurvePoints);
}

TEST(MetricsTest, MulticlassUsesMacroAverages) {
  // scikit-learn's documented example: precision 0.22, recall 0.33, f1 0.27.
  std::vector<int> y = {0, 1, 2, 0, 1, 2};
  std::vector<int> pred = {0, 2, 1, 0, 0, 1};
  EXPECT_NEAR(Precision(y, pred, 3), 2.0 / 9.0, 1e-12);
  EXPECT_NEAR(Recall(y, pred, 3), 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(F1(y, pred, 3), 0.8 / 3.0, 1e-12);
}

TEST(MetricsTest, MulticlassRocAucIsMacroOneVsRest) {
  Predictions p;
  p.rows = 3;
  p.num_classes = 3;
  p.values = {0.8f, 0.1f, 0.1f, 0.2f, 0.5f, 0.3f, 0.3f, 0.4f, 0.3f};
  // class 0 vs rest: scores (.8,.2,.3) labels (1,0,0) -> 1; class 1: (.1,.5,.4)
  // labels (0,1,0) -> 1; class 2: (.1,.3,.3) labels (0,0,1) -> 0.75.
  EXPECT_NEAR(RocAuc({0, 1, 2}, p), (1 + 1 + 0.75) / 3, 1e-12);
}

TEST(MetricsTest, RegressionMatchesHandComputedValues) {
  std::vector<float> y = {3, -0.5f, 2, 7}, p = {2.5f, 0, 2, 8};
  EXPECT_NEAR(Mae(y, p), 0.5, 1e-12);
  EXPECT_NEAR(Rmse(y, p), std::sqrt(0.375), 1e-12);
  EXPECT_NEAR(R2(y, p), 0.948608137, 1e-8);
  EXPECT_TRUE(std::isnan(R2({1, 1}, {1, 2})));
}

TEST(MetricsTest, EvaluateReportsNamedMetricsAndJson) {
  EvaluationReport rep = Evaluate(Task::kBinary, {0, 0, 1, 1}, Binary({0.1f, 0.4f, 0.35f, 0.8f}));
  EXPECT_DOUBLE_EQ(rep.Get("accuracy"), 0.75);
  EXPECT_NEAR(rep.Get("roc_auc"), 0.75, 1e-12);
  EXPECT_TRUE(std::isnan(rep.Get("rmse")));
  nlohmann::json j = rep.ToJson();
  EXPECT_EQ(j["task"], "binary");
  EXPECT_DOUBLE_EQ(j["metrics"]["accuracy"].get<double>(), 0.75);
  EXPECT_EQ(j["roc_curve"].size(), 5u);
  EXPECT_TRUE(j["roc_curve"][0]["threshold"].is_null());  // +inf is not JSON
  EXPECT_FALSE(HigherIsBetter("rmse"));
  EXPECT_TRUE(HigherIsBetter("roc_auc"));
}

TEST(MetricsTest, MetricValueAgreesWithTheFullReport) {
  const std::vector<float> y = {0, 0, 1, 1, 1, 0};
  const Predictions p = Binary({0.1f, 0.6f, 0.35f, 0.8f, 0.9f, 0.2f});
  EvaluationReport rep = Evaluate(Task::kBinary, y, p);
  for (const auto& [name, value] : rep.metrics) EXPECT_DOUBLE_EQ(MetricValue(name, Task::kBinary, y, p), value) << name;
  EXPECT_TRUE(std::isnan(MetricValue("rmse", Task::kBinary, y, p)));
  EXPECT_TRUE(std::isnan(MetricValue("nope", Task::kBinary, y, p)));
  Predictions r;
  r.rows = 4;
  r.values = {2.5f, 0, 2, 8};
  EXPECT_NEAR(MetricValue("mae", Task::kRegression, {3, -0.5f, 2, 7}, r), 0.5, 1e-12);
  EXPECT_TRUE(std::isnan(MetricValue("accuracy", Task::kRegression, {3, -0.5f, 2, 7}, r)));
}

}  // namespace
}  // namespace mlpipe::ml
