#include "mlpipe/engine/metrics_file.h"

#include <gtest/gtest.h>

namespace mlpipe::engine {
namespace {

TEST(MetricsFileTest, ParsesAnObject) {
  auto m = ParseMetricsText(R"({"accuracy": 0.9, "nested": {"auc": 0.8}, "note": "x"})");
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].name, "accuracy");
  EXPECT_EQ((*m)[1].name, "nested.auc");
  EXPECT_DOUBLE_EQ((*m)[1].value, 0.8);
}

TEST(MetricsFileTest, ParsesJsonLinesWithSteps) {
  auto m = ParseMetricsText("{\"name\": \"loss\", \"value\": 0.5, \"step\": 1}\n"
                            "{\"name\": \"loss\", \"value\": 0.25, \"step\": 2}\n");
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ(*(*m)[1].step, 2);
  EXPECT_DOUBLE_EQ((*m)[1].value, 0.25);
}

TEST(MetricsFileTest, RejectsGarbageWithLineNumber) {
  auto m = ParseMetricsText("{\"name\": \"a\", \"value\": 1}\nnot json\n");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("line 2"), std::string::npos);
}

TEST(MetricsFileTest, AReportedValueReplacesItsNestedCopyFromAMetricsOutput) {
  std::vector<MetricPoint> outputs = {{"metrics.accuracy", 0.9, std::nullopt},
                                      {"baseline.metrics.accuracy", 0.9, std::nullopt},  // two levels: kept
                                      {"metrics.roc_auc", 0.8, std::nullopt},
                                      {"accuracy_of_baseline", 0.9, std::nullopt},  // not a '.'-suffix
                                      {"train.loss", 0.5, std::nullopt},             // two candidates for
                                      {"valid.loss", 0.5, std::nullopt},             // "loss": both kept
                                      {"f1", 0.3, std::nullopt}};
  std::vector<MetricPoint> reported = {{"accuracy", 0.9, std::nullopt},
                                       {"roc_auc", 0.7, std::nullopt},  // another value: both kept
                                       {"loss", 0.5, std::nullopt},
                                       {"f1", 0.3, std::nullopt},
                                       {"f1", 0.2, 3}};  // a curve point never merges
  auto merged = MergeReportedMetrics(outputs, reported);
  std::vector<std::string> names;
  for (const auto& m : merged) names.push_back(m.name + (m.step ? "@" + std::to_string(*m.step) : ""));
  EXPECT_EQ(names, (std::vector<std::string>{"baseline.metrics.accuracy", "metrics.roc_auc", "accuracy_of_baseline",
                                             "train.loss", "valid.loss", "accuracy", "roc_auc", "loss", "f1",
                                             "f1@3"}));
}

TEST(MetricsFileTest, MissingFileIsNoMetrics) {
  auto m = ReadMetricsFile("/nonexistent/metrics.jsonl");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->empty());
}

}  // namespace
}  // namespace mlpipe::engine
