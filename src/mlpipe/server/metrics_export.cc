// GET /metrics: the monitoring record in Prometheus' text format: run counts
// by status, trigger fires by state, and the newest point of each series
// (run and step durations, queue time, data change to run finished, drift,
// inference numbers scraped from `mlpipe serve`).
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "mlpipe/server/server.h"
#include "mlpipe/serving/transport_metrics.h"

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

// Rollouts by deployment and state, and the active ones' step and share.
void RolloutFamilies(metadata::DeploymentStore& deployments, std::string* out) {
  auto all = deployments.ListRollouts("", false);
  if (!all.ok() || all->empty()) return;
  std::map<std::pair<std::string, std::string>, int64_t> counts;
  std::string active;
  for (const metadata::Rollout& r : *all) {
    ++counts[{r.deployment, r.state}];
    if (!r.InFlight()) continue;
    double percent = 0;
    if (r.state == "promoting") {
      percent = 100;
    } else if (r.state != "infra_gate" && r.state != "waiting") {
      auto policy = nlohmann::json::parse(r.policy, nullptr, false);
      // The shadow phase (step_index -1) sends the candidate no user traffic.
      if (policy.is_object() && policy.contains("steps") && policy["steps"].is_array() && r.step_index >= 0 &&
          r.step_index < static_cast<int>(policy["steps"].size())) {
        percent = policy["steps"][static_cast<size_t>(r.step_index)].get<double>();
      }
    }
    active += fmt::format(
        "mlpipe_rollout_candidate_percent{{deployment=\"{}\",rollout=\"{}\",candidate_version=\"{}\",state="
        "\"{}\"}} {}\n",
        Escape(r.deployment), r.id, r.candidate_version, r.state, percent);
  }
  *out +=
      "# HELP mlpipe_rollouts_total Rollouts, by deployment and state\n# TYPE mlpipe_rollouts_total gauge\n";
  for (const auto& [key, n] : counts) {
    *out += fmt::format("mlpipe_rollouts_total{{deployment=\"{}\",state=\"{}\"}} {}\n", Escape(key.first),
                        key.second, n);
  }
  if (!active.empty()) {
    *out +=
        "# HELP mlpipe_rollout_candidate_percent The active rollout's share of traffic for its candidate\n"
        "# TYPE mlpipe_rollout_candidate_percent gauge\n";
    *out += active;
  }
}

// Decision records by deployment, kind and verdict: an alert on
// rate(mlpipe_decisions_total{verdict="fail"}) sees every automatic rollback.
void DecisionFamily(metadata::DeploymentStore& deployments, std::string* out) {
  auto counts = deployments.DecisionCounts();
  if (!counts.ok() || counts->empty()) return;
  *out +=
      "# HELP mlpipe_decisions_total Decision records (gates, rollout looks and actions), by deployment, "
      "kind "
      "and verdict\n# TYPE mlpipe_decisions_total counter\n";
  for (const auto& c : *counts) {
    *out += fmt::format("mlpipe_decisions_total{{deployment=\"{}\",kind=\"{}\",verdict=\"{}\"}} {}\n",
                        Escape(c.deployment), Escape(c.kind), Escape(c.verdict), c.count);
  }
}

}  // namespace

std::string Server::PrometheusText(metadata::ControlStore& control, metadata::DeploymentStore& deployments) {
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
  RolloutFamilies(deployments, &out);
  DecisionFamily(deployments, &out);
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
  if (http_) serving::AppendHttpMetrics(http_->Stats(), &out);
  serving::AppendProcessMetrics(&out);
  return out;
}

}  // namespace mlpipe::server
