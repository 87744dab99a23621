#include "mlpipe/monitor/alert_rules.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <set>

#include "mlpipe/base/testing/temp_dir.h"
#include "mlpipe/monitor/metric_names.h"

namespace mlpipe::monitor {
namespace {

std::vector<YAML::Node> Rules(const YAML::Node& doc) {
  std::vector<YAML::Node> rules;
  for (const YAML::Node& group : doc["groups"]) {
    for (const YAML::Node& rule : group["rules"]) rules.push_back(rule);
  }
  return rules;
}

TEST(AlertRulesTest, IsARulesDocumentOverTheServersMetrics) {
  YAML::Node doc = YAML::Load(PrometheusAlertRules());
  ASSERT_TRUE(doc["groups"].IsSequence());
  std::set<std::string> groups;
  for (const YAML::Node& g : doc["groups"]) groups.insert(g["name"].as<std::string>());
  EXPECT_EQ(groups, (std::set<std::string>{"mlpipe-drift", "mlpipe-inference-errors",
                                           "mlpipe-inference-latency", "mlpipe-retraining", "mlpipe-runs"}));
  std::set<std::string> alerts, metrics_used;
  for (const YAML::Node& rule : Rules(doc)) {
    const std::string name = rule["alert"].as<std::string>();
    alerts.insert(name);
    const std::string expr = rule["expr"].as<std::string>();
    EXPECT_FALSE(rule["labels"]["severity"].as<std::string>().empty()) << name;
    EXPECT_FALSE(rule["annotations"]["summary"].as<std::string>().empty()) << name;
    for (const MetricDescription& m : kServerMetrics) {
      if (expr.find(m.name) != std::string::npos) metrics_used.insert(std::string(m.name));
    }
    EXPECT_NE(expr.find("mlpipe_"), std::string::npos) << name << ": " << expr;
  }
  EXPECT_EQ(alerts,
            (std::set<std::string>{"MlpipeDriftAlert", "MlpipeFeaturePsiHigh", "MlpipeInferenceErrorRateHigh",
                                   "MlpipeInferenceLatencyHigh", "MlpipeRunSlowerThanUsual",
                                   "MlpipeRunOverMaxDuration", "MlpipeRunFailed"}));
  for (std::string_view m : {kDriftAlert, kDriftPsi, kInferenceErrorsTotal, kInferenceRequestsTotal,
                             kInferenceLatencySeconds, kRunDurationSeconds, kRunsTotal}) {
    EXPECT_TRUE(metrics_used.count(std::string(m))) << m;
  }
}

TEST(AlertRulesTest, ThresholdsComeFromTheOptions) {
  AlertRuleOptions o;
  o.psi_alert = 0.4;
  o.p99_latency_s = 0.125;
  o.duration_tolerance = 0.5;
  std::map<std::string, std::string> exprs;
  for (const YAML::Node& rule : Rules(YAML::Load(PrometheusAlertRules(o)))) {
    exprs[rule["alert"].as<std::string>()] = rule["expr"].as<std::string>();
  }
  EXPECT_EQ(exprs["MlpipeFeaturePsiHigh"], "max by (deployment, feature) (mlpipe_drift_psi) >= 0.4");
  EXPECT_EQ(exprs["MlpipeInferenceLatencyHigh"],
            "max by (deployment, variant) (mlpipe_inference_latency_seconds{quantile=\"0.99\"}) > 0.125");
  EXPECT_EQ(exprs["MlpipeRunSlowerThanUsual"],
            "mlpipe_run_duration_seconds > 1.5 * quantile_over_time(0.5, mlpipe_run_duration_seconds[7d])");
}

TEST(AlertRulesTest, PromtoolAcceptsTheRules) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool (Debian package prometheus) is not installed; the YAML checks above still ran";
  }
  mlpipe::testing::TempDir tmp;
  const std::string path = tmp.Sub("rules.yml");
  std::ofstream(path) << PrometheusAlertRules();
  const std::string command = "promtool check rules " + path + " > " + tmp.Sub("out.txt") + " 2>&1";
  const int rc = std::system(command.c_str());
  std::ifstream in(tmp.Sub("out.txt"));
  std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rc, 0) << output;
  EXPECT_NE(output.find("SUCCESS: 7 rules found"), std::string::npos) << output;
}

}  // namespace
}  // namespace mlpipe::monitor
