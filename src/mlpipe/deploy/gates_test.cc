#include "mlpipe/deploy/gates.h"

#include <gtest/gtest.h>

namespace mlpipe::deploy {
namespace {

spec::GateSpec Threshold(std::optional<double> min, std::optional<double> max) {
  spec::GateSpec g;
  g.kind = spec::GateSpec::Kind::kThreshold;
  g.step = "evaluate";
  g.output = "metrics";
  g.key = "roc_auc";
  g.min = min;
  g.max = max;
  return g;
}

TEST(GatesTest, ThresholdsReadTheRunsMetric) {
  GateContext ctx;
  ctx.metrics["evaluate.metrics.roc_auc"] = 0.72;
  auto pass = EvaluateGate(Threshold(0.70, std::nullopt), 0, ctx);
  ASSERT_TRUE(pass.ok());
  EXPECT_TRUE(pass->pass) << pass->reason;
  EXPECT_EQ(pass->statistics["value"], 0.72);
  auto fail = EvaluateGate(Threshold(0.75, std::nullopt), 1, ctx);
  ASSERT_TRUE(fail.ok());
  EXPECT_FALSE(fail->pass);
  EXPECT_NE(fail->reason.find("0.7200"), std::string::npos) << fail->reason;
  auto above = EvaluateGate(Threshold(std::nullopt, 0.71), 2, ctx);
  ASSERT_TRUE(above.ok());
  EXPECT_FALSE(above->pass);
}

TEST(GatesTest, AMissingMetricFailsTheGate) {
  GateContext ctx;
  auto r = EvaluateGate(Threshold(0.5, std::nullopt), 0, ctx);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->pass);
  EXPECT_NE(r->reason.find("no value"), std::string::npos);
}

TEST(GatesTest, WithNoChampionTheFirstModelIsGatedOnThresholdsOnly) {
  spec::DeploySpec d;
  d.model = "churn";
  d.deployment = "churn";
  d.gates.push_back(Threshold(0.7, std::nullopt));
  spec::GateSpec beats;
  beats.kind = spec::GateSpec::Kind::kBeats;
  beats.beats = "champion";
  beats.metric = "roc_auc";
  beats.eval_step = "evaluate";
  d.gates.push_back(beats);
  GateContext ctx;
  ctx.metrics["evaluate.metrics.roc_auc"] = 0.8;
  auto report = EvaluateGates(d, ctx);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_TRUE(report->pass);
  EXPECT_TRUE(report->first_model);
  EXPECT_NE(report->results[1].reason.find("no champion yet"), std::string::npos)
      << report->results[1].reason;
  EXPECT_NE(report->Summary().find("becomes the champion"), std::string::npos);
  ctx.metrics["evaluate.metrics.roc_auc"] = 0.6;
  report = EvaluateGates(d, ctx);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->pass);
}

}  // namespace
}  // namespace mlpipe::deploy
