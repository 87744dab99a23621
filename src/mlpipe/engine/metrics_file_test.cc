#include "mlpipe/engine/metrics_file.h"

#include <gmock/gmock.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

namespace mlpipe::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Messages(const ReportedMetrics& m) {
  std::vector<std::string> out;
  for (const auto& w : m.warnings) out.push_back(w.message);
  return out;
}

TEST(MetricsFileTest, ParsesAnObject) {
  auto m = ParseMetricsText(R"({"accuracy": 0.9, "nested": {"auc": 0.8}, "ok": true, "bad": false})");
  ASSERT_EQ(m.points.size(), 4u);
  EXPECT_EQ(m.points[0].name, "accuracy");
  EXPECT_EQ(m.points[2].name, "nested.auc");
  EXPECT_DOUBLE_EQ(m.points[2].value, 0.8);
  // Booleans are recorded as 1 and 0.
  EXPECT_EQ(m.points[3].name, "ok");
  EXPECT_DOUBLE_EQ(m.points[3].value, 1.0);
  EXPECT_DOUBLE_EQ(m.points[1].value, 0.0);
  EXPECT_TRUE(m.warnings.empty());
}

TEST(MetricsFileTest, NonNumbersAreReportedByKeyNotDroppedSilently) {
  auto m = ParseMetricsText(
      R"({"accuracy": 0.9, "model": "xgb", "nested": {"auc": 0.8, "label": "v2"}, "sizes": [1, 2], "none": null})");
  ASSERT_EQ(m.points.size(), 2u);
  EXPECT_EQ(m.points[1].name, "nested.auc");
  EXPECT_THAT(Messages(m),
              ElementsAre("metric 'model' is a string (\"xgb\"), not a number: not recorded",
                          "metric 'nested.label' is a string (\"v2\"), not a number: not recorded",
                          "metric 'none' is null, not a number: not recorded",
                          "metric 'sizes' is a list ([1,2]), not a number: not recorded"));
  EXPECT_EQ(m.warnings[1].metric, "nested.label");
}

TEST(MetricsFileTest, ParsesJsonLinesWithSteps) {
  auto m = ParseMetricsText("{\"name\": \"loss\", \"value\": 0.5, \"step\": 1}\n"
                            "{\"name\": \"loss\", \"value\": 0.25, \"step\": 2}\n");
  ASSERT_EQ(m.points.size(), 2u);
  EXPECT_EQ(*m.points[1].step, 2);
  EXPECT_DOUBLE_EQ(m.points[1].value, 0.25);
  EXPECT_TRUE(m.warnings.empty());
}

TEST(MetricsFileTest, BadLinesAreWarningsWithTheirLineAndTheRestIsRead) {
  auto m = ParseMetricsText(
      "{\"name\": \"a\", \"value\": 1}\n"
      "not json\n"
      "{\"name\": \"loss\", \"value\": \"high\"}\n"
      "{\"name\": \"loss\", \"value\": NaN, \"step\": 3}\n"
      "{\"name\": \"f1\"}\n"
      "{\"name\": \"f1\", \"value\": 0.7, \"step\": \"last\"}\n"
      "{\"done\": true}\n");
  ASSERT_EQ(m.points.size(), 3u);
  EXPECT_EQ(m.points[1].name, "f1");
  EXPECT_FALSE(m.points[1].step.has_value());
  EXPECT_EQ(m.points[2].name, "done");
  EXPECT_EQ(m.warnings[0].metric, "");  // a line that names no metric
  EXPECT_EQ(m.warnings[1].metric, "loss");
  EXPECT_THAT(
      Messages(m),
      ElementsAre("metrics line 2 is not a JSON object: skipped (\"not json\")",
                  "metric 'loss' (line 3) is a string (\"high\"), not a number: not recorded",
                  HasSubstr("metrics line 4 is not a JSON object (NaN and Infinity are not JSON numbers)"),
                  "metrics line 5 has a \"name\" but no \"value\": skipped",
                  "metric 'f1' (line 6): \"step\" is \"last\", not a whole number: recorded without it"));
}

TEST(MetricsFileTest, AWholeFileThatIsNotAnObjectIsOneWarning) {
  auto m = ParseMetricsText("[1, 2,\n 3]\n");
  EXPECT_TRUE(m.points.empty());
  EXPECT_THAT(Messages(m), ElementsAre(HasSubstr("holds a list")));
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
  for (const auto& m : merged) names.push_back(m.step ? fmt::format("{}@{}", m.name, *m.step) : m.name);
  EXPECT_EQ(names, (std::vector<std::string>{"baseline.metrics.accuracy", "metrics.roc_auc", "accuracy_of_baseline",
                                             "train.loss", "valid.loss", "accuracy", "roc_auc", "loss", "f1",
                                             "f1@3"}));
}

TEST(MetricsFileTest, MissingFileIsNoMetrics) {
  auto m = ReadMetricsFile("/nonexistent/metrics.jsonl");
  EXPECT_TRUE(m.points.empty());
  EXPECT_TRUE(m.warnings.empty());
}

}  // namespace
}  // namespace mlpipe::engine
