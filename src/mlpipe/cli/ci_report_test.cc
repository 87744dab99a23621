#include "mlpipe/cli/ci_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mlpipe::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

CiReport SampleReport() {
  CiReport r;
  r.pipeline = "loans";
  r.file = "pipelines/loans.yaml";
  r.tests = {{"step features", "python3 tests/test_features.py", true, 1'500'000'000, "exit 0"},
             {"component train", "sh -c 'grep x | wc -l'", false, 200'000'000, "exit 3"}};
  r.smoke_run = 12;
  r.smoke_succeeded = true;
  r.smoke_status = "succeeded";
  r.smoke_params = {{"sample", "0.05"}};
  r.baseline_run = 9;
  r.baseline_reason = "the newest succeeded run not started by mlpipe test";
  r.metrics = CompareMetrics({{"evaluate.auc", 0.8}, {"train.rows", 1000}},
                             {{"evaluate.auc", 0.76}, {"evaluate.f1", 0.5}});
  return r;
}

TEST(CompareMetricsTest, UnionInNameOrderWithMissingSides) {
  auto rows = CompareMetrics({{"b", 1}, {"a", 2}}, {{"c", 3}, {"a", 4}});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].metric, "a");
  EXPECT_EQ(rows[0].baseline, 2);
  EXPECT_EQ(rows[0].current, 4);
  EXPECT_EQ(rows[1].metric, "b");
  EXPECT_EQ(rows[1].current, std::nullopt);
  EXPECT_EQ(rows[2].metric, "c");
  EXPECT_EQ(rows[2].baseline, std::nullopt);
}

TEST(FormatMetricChangeTest, AbsoluteAndPercent) {
  EXPECT_EQ(FormatMetricChange(0.8, 0.76), "-0.04 (-5.0%)");
  EXPECT_EQ(FormatMetricChange(2, 3), "+1 (+50.0%)");
  EXPECT_EQ(FormatMetricChange(-2, -1), "+1 (+50.0%)");  // relative to the baseline's size
  EXPECT_EQ(FormatMetricChange(5, 5), "0 (+0.0%)");
  EXPECT_EQ(FormatMetricChange(0, 2), "+2");  // no percentage of nothing
  EXPECT_EQ(FormatMetricChange(std::nullopt, 2), "-");
  EXPECT_EQ(FormatMetricChange(1, std::nullopt), "-");
}

TEST(CiReportTest, PassedNeedsEveryTestAndTheSmokeRun) {
  CiReport r = SampleReport();
  EXPECT_EQ(r.TestsFailed(), 1);
  EXPECT_FALSE(r.Passed());
  r.tests[1].passed = true;
  EXPECT_TRUE(r.Passed());
  r.smoke_succeeded = false;
  EXPECT_FALSE(r.Passed());
  r.smoke_skipped = true;
  EXPECT_TRUE(r.Passed());
}

TEST(CiReportTest, SummaryLine) {
  CiReport r = SampleReport();
  EXPECT_EQ(CiSummaryLine(r), "1 of 2 tests failed; smoke run 12 succeeded");
  r.tests.clear();
  r.smoke_skipped = true;
  EXPECT_EQ(CiSummaryLine(r), "no tests declared; smoke run skipped");
}

TEST(CiReportMarkdownTest, TablesOfTestsAndMetrics) {
  const std::string md = CiReportMarkdown(SampleReport());
  EXPECT_THAT(md, HasSubstr("## mlpipe test: loans FAILED\n"));
  EXPECT_THAT(md, HasSubstr("| Test | Result | Duration |\n| --- | --- | --- |\n"));
  EXPECT_THAT(md, HasSubstr("| step features: `python3 tests/test_features.py` | PASS | 1.5s |\n"));
  // The pipe inside the command is escaped, so the row keeps three cells.
  EXPECT_THAT(md, HasSubstr("| component train: `sh -c 'grep x \\| wc -l'` | FAIL (exit 3) | 200ms |\n"));
  EXPECT_THAT(md, HasSubstr("Smoke run 12 (succeeded, 0ms, params `sample=0.05`) against run 9"));
  EXPECT_THAT(md, HasSubstr("| Metric | Baseline (run 9) | This run (run 12) | Change |\n"));
  EXPECT_THAT(md, HasSubstr("| `evaluate.auc` | 0.8 | 0.76 | -0.04 (-5.0%) |\n"));
  EXPECT_THAT(md, HasSubstr("| `evaluate.f1` | - | 0.5 | - |\n"));
  EXPECT_THAT(md, HasSubstr("| `train.rows` | 1000 | - | - |\n"));
  // Metric rows in name order.
  EXPECT_LT(md.find("evaluate.auc"), md.find("evaluate.f1"));
  EXPECT_LT(md.find("evaluate.f1"), md.find("train.rows"));
}

TEST(CiReportMarkdownTest, NoBaselineAndSkippedRun) {
  CiReport r = SampleReport();
  r.baseline_run = 0;
  r.baseline_reason = "no succeeded run of loans but those of mlpipe test";
  r.metrics = CompareMetrics({}, {{"auc", 0.7}});
  std::string md = CiReportMarkdown(r);
  EXPECT_THAT(md, HasSubstr("against no baseline: no succeeded run of loans"));
  EXPECT_THAT(md, HasSubstr("| Metric | Baseline | This run (run 12) | Change |\n"));
  EXPECT_THAT(md, HasSubstr("| `auc` | - | 0.7 | - |\n"));
  r.smoke_skipped = true;
  md = CiReportMarkdown(r);
  EXPECT_THAT(md, HasSubstr("The smoke run was skipped"));
  EXPECT_THAT(md, Not(HasSubstr("| Metric |")));
  r.tests.clear();
  EXPECT_THAT(CiReportMarkdown(r), HasSubstr("No step or component of this pipeline declares `tests:`."));
}

TEST(CiReportJsonTest, SameContentAsMarkdown) {
  const nlohmann::json j = CiReportJson(SampleReport());
  EXPECT_EQ(j["pipeline"], "loans");
  EXPECT_EQ(j["passed"], false);
  ASSERT_EQ(j["tests"].size(), 2u);
  EXPECT_EQ(j["tests"][0]["result"], "pass");
  EXPECT_EQ(j["tests"][1]["result"], "fail");
  EXPECT_EQ(j["tests"][1]["detail"], "exit 3");
  EXPECT_DOUBLE_EQ(j["tests"][0]["duration_s"].get<double>(), 1.5);
  EXPECT_EQ(j["smoke_run"]["run"], 12);
  EXPECT_EQ(j["smoke_run"]["params"]["sample"], "0.05");
  EXPECT_EQ(j["baseline"]["run"], 9);
  ASSERT_EQ(j["metrics"].size(), 3u);
  EXPECT_EQ(j["metrics"][0]["metric"], "evaluate.auc");
  EXPECT_NEAR(j["metrics"][0]["change"].get<double>(), -0.04, 1e-12);
  EXPECT_NEAR(j["metrics"][0]["change_pct"].get<double>(), -5.0, 1e-9);
  EXPECT_TRUE(j["metrics"][1]["baseline"].is_null());
  EXPECT_TRUE(j["metrics"][1]["change"].is_null());
  EXPECT_TRUE(j["metrics"][2]["value"].is_null());
}

}  // namespace
}  // namespace mlpipe::cli
