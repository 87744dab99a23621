// The names of the time series that `mlpipe server` exports on /metrics for
// its monitors, in one place: the server writes them, the shipped
// Prometheus alert rules (alert_rules.h) read them, and
// src/mlpipe/monitor/README.md documents them.
#pragma once

#include <array>
#include <string_view>

namespace mlpipe::monitor {

inline constexpr std::string_view kRunDurationSeconds = "mlpipe_run_duration_seconds";
inline constexpr std::string_view kRunQueueSeconds = "mlpipe_run_queue_seconds";
inline constexpr std::string_view kRunsTotal = "mlpipe_runs_total";
inline constexpr std::string_view kDriftPsi = "mlpipe_drift_psi";
inline constexpr std::string_view kDriftAlert = "mlpipe_drift_alert";
inline constexpr std::string_view kInferenceRequestsTotal = "mlpipe_inference_requests_total";
inline constexpr std::string_view kInferenceErrorsTotal = "mlpipe_inference_errors_total";
inline constexpr std::string_view kInferenceLatencySeconds = "mlpipe_inference_latency_seconds";
inline constexpr std::string_view kEstimatedAccuracy = "mlpipe_estimated_accuracy";

struct MetricDescription {
  std::string_view name;
  std::string_view type;    // Prometheus type: "gauge", "counter"
  std::string_view labels;  // comma-separated label names
  std::string_view help;    // the # HELP line
};

inline constexpr std::array<MetricDescription, 9> kServerMetrics = {{
    {kRunDurationSeconds, "gauge", "pipeline", "Wall time of the pipeline's last finished run, seconds."},
    {kRunQueueSeconds, "gauge", "pipeline",
     "Time the pipeline's last run waited in the queue before starting, seconds."},
    {kRunsTotal, "counter", "pipeline,status",
     "Finished runs of the pipeline by status (succeeded, failed, cancelled)."},
    {kDriftPsi, "gauge", "deployment,feature", "PSI of the feature over the deployment's last drift window."},
    {kDriftAlert, "gauge", "deployment",
     "1 while the deployment's drift alert stands (K alerting windows in a row), else 0."},
    {kInferenceRequestsTotal, "counter", "deployment,variant", "Prediction requests served."},
    {kInferenceErrorsTotal, "counter", "deployment,variant", "Prediction requests that failed."},
    {kInferenceLatencySeconds, "gauge", "deployment,variant,quantile",
     "Request latency quantiles (0.5, 0.95, 0.99) over the last scrape interval, seconds."},
    {kEstimatedAccuracy, "gauge", "deployment",
     "Accuracy of a binary classifier estimated from its own scores (CBPE) over the last window."},
}};

}  // namespace mlpipe::monitor
