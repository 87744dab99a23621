#include "mlpipe/monitor/performance_window.h"

#include <gtest/gtest.h>

namespace mlpipe::monitor {
namespace {

LoggedPrediction Row(const std::string& id, size_t row, double p, const std::string& variant = "main") {
  LoggedPrediction lp;
  lp.id = id;
  lp.row = row;
  lp.variant = variant;
  lp.probabilities = {1 - p, p};
  lp.label = p > 0.5 ? "bad" : "good";
  return lp;
}

FeedbackEntry Feedback(const std::string& id, std::vector<nlohmann::json> labels,
                       const std::string& variant = "") {
  FeedbackEntry f;
  f.id = id;
  f.variant = variant;
  f.labels = std::move(labels);
  return f;
}

TEST(PerformanceWindowTest, JoinsFeedbackByRequestAndRow) {
  std::vector<LoggedPrediction> predictions = {Row("a", 0, 0.9), Row("a", 1, 0.3), Row("b", 0, 0.6),
                                               Row("c", 0, 0.2)};
  std::vector<FeedbackEntry> feedback = {Feedback("a", {"bad", "bad"}), Feedback("b", {"good"}),
                                         Feedback("zzz", {"bad"}), Feedback("c", {"bad", "good"})};
  auto c = ComparePerformance(predictions, feedback, {"bad"});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->estimated.rows, 4u);
  EXPECT_EQ(c->unmatched_feedback, 1u);
  EXPECT_EQ(c->mismatched_rows, 1u);  // c has one row, its feedback two labels
  // Labelled rows: a/0 0.9 bad (right), a/1 0.3 bad (wrong), b/0 0.6 good (wrong).
  EXPECT_EQ(c->realised.rows, 3u);
  EXPECT_NEAR(c->realised.accuracy, 1.0 / 3, 1e-12);
  EXPECT_NEAR(c->realised.positive_rate, 2.0 / 3, 1e-12);
  // Estimated over the same rows: (0.9 + 0.7 + 0.6) / 3.
  EXPECT_NEAR(c->estimated_labelled.accuracy, 2.2 / 3, 1e-12);
  // Over all rows: (0.9 + 0.7 + 0.6 + 0.8) / 4.
  EXPECT_NEAR(c->estimated.accuracy, 0.75, 1e-12);
}

TEST(PerformanceWindowTest, FeedbackNamingAVariantMatchesThatVariant) {
  std::vector<LoggedPrediction> predictions = {Row("a", 0, 0.9, "main"), Row("a", 0, 0.1, "shadow")};
  auto c = ComparePerformance(predictions, {Feedback("a", {1}, "shadow")}, {"1"});
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->realised.rows, 1u);
  EXPECT_EQ(c->realised.accuracy, 0.0);  // the shadow said 0.1 for a positive
}

TEST(PerformanceWindowTest, RegressionLogIsRefused) {
  LoggedPrediction lp;
  lp.id = "a";
  lp.value = 3.5;
  auto c = ComparePerformance({lp}, {}, {"bad"});
  EXPECT_EQ(c.status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace mlpipe::monitor
