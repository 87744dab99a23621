// The Prometheus alerting rules shipped with mlpipe
// (`mlpipe server --print-alert-rules`), over the metrics of
// metric_names.h. Five groups, one per concern:
//   mlpipe-drift              a deployment's drift alert stands, or a
//                             feature's PSI stays at or above psi_alert
//   mlpipe-inference-errors   error rate above error_rate over 5 minutes
//   mlpipe-inference-latency  p99 latency above p99_latency_s
//   mlpipe-retraining         the last run took more than (1 +
//                             duration_tolerance) x the median over the past
//                             week, or over max_run_duration_s
//   mlpipe-runs               a pipeline's run failed within the last hour
// The text is a rules file for Prometheus' `rule_files:`; the thresholds
// are the server's defaults and can be changed here or in the printed file.
// Pure function; thread-safe.
#pragma once

#include <string>

namespace mlpipe::monitor {

struct AlertRuleOptions {
  double psi_alert = 0.25;               // default 0.25, as the drift monitor's
  std::string drift_for = "30m";         // how long PSI must stay high; default 30m
  double error_rate = 0.05;              // share of failed requests over 5 minutes; default 0.05
  double p99_latency_s = 0.5;            // default 0.5 s
  std::string latency_for = "10m";       // default 10m
  double duration_tolerance = 0.2;       // default 0.2 (20 %), as the retraining-duration rule's
  double max_run_duration_s = 4 * 3600;  // default 4 h
};

// A YAML document: {groups: [{name, rules: [{alert, expr, for, labels:
// {severity}, annotations: {summary, description}}]}]}.
std::string PrometheusAlertRules(const AlertRuleOptions& options = {});

}  // namespace mlpipe::monitor
