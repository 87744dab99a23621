// GET /metrics: the monitoring record in Prometheus' text format: run counts
// by status, trigger fires by state, and the newest point of each series
// (run and step durations, queue time, data change to run finished, drift,
// inference numbers scraped from `mlpipe serve`).
#include <fmt/format.h>

#include "mlpipe/server/server.h"

namespace mlpipe::server {
namespace {

struct Family {
  const char* name;
  const char* type;
  const char* help;
};

// The series the server records, exported as gauges of their newest value.
constexpr Family kSeries[] = {
    {"mlpipe_run_duration_seconds", "gauge", "Wall time of the pipeline's newest finished run"},
    {"mlpipe_run_queue_seconds", "gauge", "Time the newest run's fire waited in the queue"},
    {"mlpipe_change_to_run_finished_seconds", "gauge",
     "From a source's content change to the end of the run it started"},
    {"mlpipe_step_duration_seconds", "gauge", "Wall time of the step in the pipeline's newest run"},
    {"mlpipe_step_cpu_seconds", "gauge", "CPU time of the step in the pipeline's newest run"},
    {"mlpipe_step_peak_rss_bytes", "gauge", "Peak memory of the step in the pipeline's newest run"},
    {"mlpipe_drift_psi", "gauge", "Population stability index of a feature in the newest drift window"},
    {"mlpipe_drift_alert", "gauge", "1 while the deployment's drift monitor alerts"},
    {"mlpipe_estimated_accuracy", "gauge", "Accuracy estimated from the model's own scores (CBPE)"},
    {"mlpipe_estimated_roc_auc", "gauge", "ROC AUC estimated from the model's own scores (CBPE)"},
    {"mlpipe_realised_accuracy", "gauge", "Accuracy on the rows whose feedback labels arrived"},
    {"mlpipe_inference_requests_total", "counter", "Requests a deployment's variant served (scraped)"},
    {"mlpipe_inference_errors_total", "counter", "Requests of a variant that failed (scraped)"},
    {"mlpipe_inference_latency_seconds", "gauge",
     "Latency quantile of a variant's requests since the last scrape"},
};

std::string Escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '\\' || c == '"') o += '\\';
    o += c;
  }
  return o;
}

}  // namespace

std::string Server::PrometheusText(metadata::ControlStore& control) {
  std::string out;
  out += "# HELP mlpipe_server_up 1 while the control plane serves\n# TYPE mlpipe_server_up gauge\n";
  out += "mlpipe_server_up 1\n";
  if (auto runs = control.RunCounts(); runs.ok()) {
    out +=
        "# HELP mlpipe_runs_total Runs recorded, by pipeline and status\n# TYPE mlpipe_runs_total counter\n";
    for (const auto& c : *runs) {
      out += fmt::format("mlpipe_runs_total{{pipeline=\"{}\",status=\"{}\"}} {}\n", Escape(c.pipeline),
                         Escape(c.state), c.count);
    }
  }
  if (auto fires = control.FireCounts(); fires.ok()) {
    out +=
        "# HELP mlpipe_trigger_fires_total Trigger fires, by pipeline and state\n"
        "# TYPE mlpipe_trigger_fires_total counter\n";
    for (const auto& c : *fires) {
      out += fmt::format("mlpipe_trigger_fires_total{{pipeline=\"{}\",state=\"{}\"}} {}\n",
                         Escape(c.pipeline), Escape(c.state), c.count);
    }
  }
  if (std::vector<ServeStatus> serve = supervisor_->Snapshot(); !serve.empty()) {
    out +=
        "# HELP mlpipe_serve_up 1 while the deployment's supervised serve process answers its health check\n"
        "# TYPE mlpipe_serve_up gauge\n";
    for (const ServeStatus& s : serve)
      out += fmt::format("mlpipe_serve_up{{deployment=\"{}\"}} {}\n", Escape(s.deployment), s.up ? 1 : 0);
    out +=
        "# HELP mlpipe_serve_restarts_total Serve processes started in place of an earlier one (crash, "
        "failed "
        "health checks, replacement) since the server started\n"
        "# TYPE mlpipe_serve_restarts_total counter\n";
    for (const ServeStatus& s : serve) {
      out += fmt::format("mlpipe_serve_restarts_total{{deployment=\"{}\"}} {}\n", Escape(s.deployment),
                         s.restarts);
    }
  }
  for (const Family& f : kSeries) {
    auto points = control.LatestPoints(f.name);
    if (!points.ok() || points->empty()) continue;
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", f.name, f.help, f.name, f.type);
    for (const auto& p : *points) {
      out += p.labels.empty() ? fmt::format("{} {}\n", f.name, p.value)
                              : fmt::format("{}{{{}}} {}\n", f.name, p.labels, p.value);
    }
  }
  return out;
}

}  // namespace mlpipe::server
