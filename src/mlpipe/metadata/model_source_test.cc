// DescribeModelSource and RunMetricsSnapshot: what `mlpipe models register`
// records about where a model version came from. Run on every backend.
#include "mlpipe/metadata/model_source.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "mlpipe/metadata/metadata_store_conformance.h"

namespace mlpipe::metadata {
namespace {

void PutFolder(MetadataStore& db, const std::string& ref) {
  ASSERT_TRUE(db.PutArtifact({ref, "model", 10, true, 5}).ok());
}

TEST_P(MetadataStoreConformanceTest, ModelSourceNamesTheProducingRunAndSnapshotsItsFinalMetrics) {
  PutFolder(*store_, Ref('m'));
  int64_t run = NewRun("churn");
  int64_t train = NewExecution(run, "train");
  int64_t eval = NewExecution(run, "evaluate");
  ASSERT_TRUE(store_->AssignVersion("churn.train.model", Ref('m'), train, 1).ok());
  ASSERT_TRUE(store_
                  ->RecordMetrics({{run, train, "loss", 0.9, 1, 1},
                                   {run, train, "loss", 0.4, 2, 2},
                                   {run, eval, "auc", 0.91, std::nullopt, 3},
                                   {run, std::nullopt, "rows", 1000, std::nullopt, 4}})
                  .ok());
  for (const char* text : {"churn.train.model", "churn.train.model:v1"}) {
    auto v = DescribeModelSource(*store_, "churn", text, 77);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(v->name, "churn");
    EXPECT_EQ(v->ref, Ref('m'));
    EXPECT_EQ(v->source, "churn.train.model:v1");
    EXPECT_EQ(v->run_id, run);
    EXPECT_EQ(v->execution_id, train);
    EXPECT_EQ(v->created_ns, 77);
    auto metrics = nlohmann::json::parse(v->metrics_json);
    EXPECT_DOUBLE_EQ(metrics["train.loss"].get<double>(), 0.4);  // the curve's last point
    EXPECT_DOUBLE_EQ(metrics["evaluate.auc"].get<double>(), 0.91);
    EXPECT_DOUBLE_EQ(metrics["rows"].get<double>(), 1000);
  }
  // By digest: found through its version all the same.
  auto by_ref = DescribeModelSource(*store_, "churn", Ref('m'), 1);
  ASSERT_TRUE(by_ref.ok());
  EXPECT_EQ(by_ref->source, Ref('m'));
  EXPECT_EQ(by_ref->execution_id, train);
}

TEST_P(MetadataStoreConformanceTest, ModelSourceFollowsACachedExecutionToTheOneThatTrained) {
  PutFolder(*store_, Ref('m'));
  int64_t first = NewRun();
  int64_t trained = NewExecution(first, "train");
  ASSERT_TRUE(store_->RecordMetrics({{first, trained, "auc", 0.8, std::nullopt, 1}}).ok());
  int64_t second = NewRun();
  const int64_t cached_id = NewCachedExecution(second, "train", trained);
  // Only an output event of the cached execution names the artifact.
  AddEvent(cached_id, Ref('m'), EventKind::kOutput, "model");
  auto v = DescribeModelSource(*store_, "m", Ref('m'), 1);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->execution_id, trained);
  EXPECT_EQ(v->run_id, first);
  EXPECT_NE(v->metrics_json.find("train.auc"), std::string::npos);
}

// The run that trained the model reused its evaluation from an earlier run
// (same model content): the snapshot still has the evaluation's metrics.
TEST_P(MetadataStoreConformanceTest, ModelSourceSnapshotHasTheMetricsOfStepsTheProducingRunReused) {
  PutFolder(*store_, Ref('m'));
  int64_t first = NewRun();
  int64_t eval = NewExecution(first, "evaluate");
  ASSERT_TRUE(store_->RecordMetrics({{first, eval, "auc", 0.93, std::nullopt, 1}}).ok());
  int64_t second = NewRun();
  int64_t train = NewExecution(second, "train");
  ASSERT_TRUE(store_->RecordMetrics({{second, train, "rounds", 40, std::nullopt, 2}}).ok());
  NewCachedExecution(second, "evaluate", eval);
  ASSERT_TRUE(store_->AssignVersion("p.train.model", Ref('m'), train, 3).ok());
  auto v = DescribeModelSource(*store_, "m", "p.train.model", 1);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->run_id, second);
  auto metrics = nlohmann::json::parse(v->metrics_json);
  EXPECT_DOUBLE_EQ(metrics["evaluate.auc"].get<double>(), 0.93) << v->metrics_json;
  EXPECT_DOUBLE_EQ(metrics["train.rounds"].get<double>(), 40) << v->metrics_json;
}

TEST_P(MetadataStoreConformanceTest, ModelSourceWithoutAProducerHasNoRunAndNoMetrics) {
  PutFolder(*store_, Ref('m'));
  auto v = DescribeModelSource(*store_, "m", Ref('m'), 1);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->run_id.has_value());
  EXPECT_EQ(v->metrics_json, "{}");
}

TEST_P(MetadataStoreConformanceTest, ModelSourceRejectsFilesAndUnknownArtifacts) {
  PutArtifact(Ref('f'), "metrics");  // a file
  EXPECT_EQ(DescribeModelSource(*store_, "m", Ref('f'), 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(DescribeModelSource(*store_, "m", "p.s.nothing", 1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(DescribeModelSource(*store_, "m", Ref('x'), 1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(RunMetricsSnapshot(*store_, 999).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace mlpipe::metadata
