#include "mlpipe/monitor/alert_rules.h"

#include <fmt/format.h>

#include "mlpipe/monitor/metric_names.h"

namespace mlpipe::monitor {

// Annotations use Prometheus' templating ({{ $labels.x }}, {{ $value }}),
// so fmt's own braces are doubled: {{{{ becomes {{.
std::string PrometheusAlertRules(const AlertRuleOptions& o) {
  std::string out = "# mlpipe alerting rules: add this file to Prometheus' rule_files.\n";
  out += "# Metric names: src/mlpipe/monitor/README.md. Thresholds: mlpipe's defaults.\n";
  out += "groups:\n";
  out += fmt::format(R"(  - name: mlpipe-drift
    rules:
      - alert: MlpipeDriftAlert
        expr: max by (deployment) ({alert}) > 0
        labels:
          severity: warning
        annotations:
          summary: "Live traffic of {{{{ $labels.deployment }}}} has drifted from the training data"
          description: "The drift monitor saw alerting windows in a row (PSI or KS); mlpipe records an event and fires on_drift triggers."
      - alert: MlpipeFeaturePsiHigh
        expr: max by (deployment, feature) ({psi}) >= {psi_alert:g}
        for: {drift_for}
        labels:
          severity: warning
        annotations:
          summary: "PSI of {{{{ $labels.feature }}}} on {{{{ $labels.deployment }}}} is {{{{ $value | printf \"%.2f\" }}}}"
          description: "PSI at or above {psi_alert:g} for {drift_for}: the feature's distribution in live traffic differs from the reference statistics."
)",
                     fmt::arg("alert", kDriftAlert), fmt::arg("psi", kDriftPsi),
                     fmt::arg("psi_alert", o.psi_alert), fmt::arg("drift_for", o.drift_for));
  out += fmt::format(R"(  - name: mlpipe-inference-errors
    rules:
      - alert: MlpipeInferenceErrorRateHigh
        expr: sum by (deployment, variant) (rate({errors}[5m])) / sum by (deployment, variant) (rate({requests}[5m])) > {error_rate:g}
        for: 5m
        labels:
          severity: critical
        annotations:
          summary: "{{{{ $labels.deployment }}}}/{{{{ $labels.variant }}}} fails {{{{ $value | humanizePercentage }}}} of requests"
          description: "Error rate above {error_rate:g} over 5 minutes."
  - name: mlpipe-inference-latency
    rules:
      - alert: MlpipeInferenceLatencyHigh
        expr: max by (deployment, variant) ({latency}{{quantile="0.99"}}) > {p99:g}
        for: {latency_for}
        labels:
          severity: warning
        annotations:
          summary: "p99 latency of {{{{ $labels.deployment }}}}/{{{{ $labels.variant }}}} is {{{{ $value | humanizeDuration }}}}"
          description: "p99 latency above {p99:g}s for {latency_for}."
)",
                     fmt::arg("errors", kInferenceErrorsTotal), fmt::arg("requests", kInferenceRequestsTotal),
                     fmt::arg("error_rate", o.error_rate), fmt::arg("latency", kInferenceLatencySeconds),
                     fmt::arg("p99", o.p99_latency_s), fmt::arg("latency_for", o.latency_for));
  out += fmt::format(R"(  - name: mlpipe-retraining
    rules:
      - alert: MlpipeRunSlowerThanUsual
        expr: {duration} > {factor:g} * quantile_over_time(0.5, {duration}[7d])
        labels:
          severity: warning
        annotations:
          summary: "The last run of {{{{ $labels.pipeline }}}} took {{{{ $value | humanizeDuration }}}}"
          description: "More than {percent:g} % above the median of the pipeline's run durations over the past week."
      - alert: MlpipeRunOverMaxDuration
        expr: {duration} > {max_duration:g}
        labels:
          severity: warning
        annotations:
          summary: "The last run of {{{{ $labels.pipeline }}}} took {{{{ $value | humanizeDuration }}}}"
          description: "Over {max_duration:g}s."
)",
                     fmt::arg("duration", kRunDurationSeconds), fmt::arg("factor", 1 + o.duration_tolerance),
                     fmt::arg("percent", o.duration_tolerance * 100),
                     fmt::arg("max_duration", o.max_run_duration_s));
  out += fmt::format(R"(  - name: mlpipe-runs
    rules:
      - alert: MlpipeRunFailed
        expr: increase({runs}{{status="failed"}}[1h]) > 0
        labels:
          severity: warning
        annotations:
          summary: "A run of {{{{ $labels.pipeline }}}} failed in the last hour"
          description: "mlpipe runs list --pipeline {{{{ $labels.pipeline }}}} shows it; mlpipe runs show RUN says which step failed and why."
)",
                     fmt::arg("runs", kRunsTotal));
  return out;
}

}  // namespace mlpipe::monitor
