// RunMetrics: a run's own metrics and those its cached steps reused. Run on
// every backend.
#include "mlpipe/metadata/run_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mlpipe/metadata/metadata_store_conformance.h"

namespace mlpipe::metadata {
namespace {

int64_t CachedExecution(MetadataStore& db, int64_t run, const std::string& step, int64_t reused_from) {
  Execution e;
  e.run_id = run;
  e.step = step;
  e.status = ExecutionStatus::kCached;
  e.reused_from = reused_from;
  auto id = db.CreateExecution(e);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return *id;
}

std::vector<std::string> Described(const std::vector<RunMetric>& metrics) {
  std::vector<std::string> out;
  for (const RunMetric& m : metrics) {
    std::string text = m.Key() + "=" + std::to_string(static_cast<int>(m.value * 100));
    if (m.iteration) text += "@" + std::to_string(*m.iteration);
    if (m.reused_from_run) text += " (run " + std::to_string(*m.reused_from_run) + ")";
    out.push_back(text);
  }
  return out;
}

TEST_P(MetadataStoreConformanceTest, RunMetricsOfACachedStepAreThoseOfTheExecutionItReused) {
  int64_t first = NewRun();
  int64_t train = NewExecution(first, "train");
  int64_t eval = NewExecution(first, "evaluate");
  ASSERT_TRUE(store_
                  ->RecordMetrics({{first, train, "loss", 0.40, 2, 1},
                                   {first, train, "loss", 0.90, 1, 1},
                                   {first, eval, "auc", 0.80, std::nullopt, 1},
                                   {first, std::nullopt, "rows", 10, std::nullopt, 1}})
                  .ok());
  // The second run reused train and ran evaluate again.
  int64_t second = NewRun();
  CachedExecution(*store_, second, "train", train);
  int64_t eval2 = NewExecution(second, "evaluate");
  ASSERT_TRUE(store_->RecordMetrics({{second, eval2, "auc", 0.85, std::nullopt, 2}}).ok());

  auto m = RunMetrics(*store_, second);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_THAT(Described(*m), ::testing::ElementsAre("train.loss=90@1 (run " + std::to_string(first) + ")",
                                                    "train.loss=40@2 (run " + std::to_string(first) + ")",
                                                    "evaluate.auc=85"));
  auto final_values = FinalMetricValues(*m);
  EXPECT_DOUBLE_EQ(final_values["train.loss"], 0.40);  // the curve's last point
  EXPECT_DOUBLE_EQ(final_values["evaluate.auc"], 0.85);
  // The first run's own metrics, run-level first.
  EXPECT_THAT(Described(*RunMetrics(*store_, first)),
              ::testing::ElementsAre("rows=1000", "train.loss=90@1", "train.loss=40@2", "evaluate.auc=80"));
  EXPECT_EQ(RunMetrics(*store_, 999).status().code(), StatusCode::kNotFound);
}

TEST_P(MetadataStoreConformanceTest, RunMetricsOfARunReusedWholeAreTheStampedRunsOnceExpanded) {
  int64_t first = NewRun();
  int64_t train = NewExecution(first, "train", ExecutionStatus::kSucceeded, "K");
  ASSERT_TRUE(store_->RecordMetrics({{first, train, "auc", 0.7, std::nullopt, 1}}).ok());
  metadata::Run reuse;
  reuse.status = RunStatus::kSucceeded;
  auto reused = store_->CreateReusedRun(reuse, first);
  ASSERT_TRUE(reused.ok()) << reused.status().ToString();
  ASSERT_TRUE(store_->ExpandReusedRuns().ok());
  auto m = RunMetrics(*store_, *reused);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ((*m)[0].Key(), "train.auc");
  EXPECT_EQ((*m)[0].reused_from_run, first);
}

TEST_P(MetadataStoreConformanceTest, StepBuiltinsReadsTheReusedExecutionsKeyRecord) {
  int64_t first = NewRun();
  Execution e;
  e.run_id = first;
  e.step = "evaluate";
  e.status = ExecutionStatus::kSucceeded;
  e.key_record = R"({"impl": {"builtin": "evaluate"}})";
  auto eval = store_->CreateExecution(e);
  ASSERT_TRUE(eval.ok());
  NewExecution(first, "report");  // a command step: no key record
  int64_t second = NewRun();
  CachedExecution(*store_, second, "evaluate", *eval);
  auto builtins = StepBuiltins(*store_, second);
  ASSERT_TRUE(builtins.ok());
  EXPECT_EQ((*builtins)["evaluate"], "evaluate");
  EXPECT_EQ(StepBuiltins(*store_, first)->count("report"), 0u);
}

TEST(RunMetricsTest, SummarizeCurveGivesFirstLastMinMaxAndWhere) {
  CurveSummary s = SummarizeCurve({{0, 0.9}, {1, 0.5}, {2, 0.3}, {3, 0.35}});
  EXPECT_EQ(s.count, 4);
  EXPECT_DOUBLE_EQ(s.first, 0.9);
  EXPECT_DOUBLE_EQ(s.last, 0.35);
  EXPECT_DOUBLE_EQ(s.min, 0.3);
  EXPECT_EQ(s.min_iteration, 2);
  EXPECT_DOUBLE_EQ(s.max, 0.9);
  EXPECT_EQ(s.max_iteration, 0);
  EXPECT_EQ(s.last_iteration, 3);
}

TEST(RunMetricsTest, TestMetricsAreTheEvaluateStepsAndTestNamesOfCommandSteps) {
  EXPECT_TRUE(IsTestMetric("evaluate", "roc_auc"));
  EXPECT_TRUE(IsTestMetric("", "test_accuracy"));
  EXPECT_TRUE(IsTestMetric("", "test.f1"));
  EXPECT_FALSE(IsTestMetric("split", "test_rows"));  // describes data, not a model
  EXPECT_FALSE(IsTestMetric("", "testing_time"));
  EXPECT_FALSE(IsTestMetric("train", "valid-logloss"));
}

}  // namespace
}  // namespace mlpipe::metadata
