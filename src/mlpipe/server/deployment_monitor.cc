#include "mlpipe/server/deployment_monitor.h"

#include <fmt/format.h>
#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "mlpipe/base/strings.h"
#include "mlpipe/metadata/run_view.h"
#include "mlpipe/monitor/log_drift.h"
#include "mlpipe/monitor/performance_window.h"
#include "mlpipe/server/series_labels.h"
#include "mlpipe/serving/model_source.h"
#include "mlpipe/serving/prediction_log.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::server {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr int64_t kMonitorNsPerSec = 1'000'000'000;

// The value of label `key` in a Prometheus sample's label text.
std::string Label(std::string_view labels, std::string_view key) {
  const std::string needle = std::string(key) + "=\"";
  size_t at = labels.find(needle);
  while (at != std::string_view::npos && at > 0 && labels[at - 1] != ',' && labels[at - 1] != '{') {
    at = labels.find(needle, at + 1);
  }
  if (at == std::string_view::npos) return "";
  const size_t start = at + needle.size();
  const size_t end = labels.find('"', start);
  return std::string(labels.substr(start, end - start));
}

// The quantile q of a histogram given as cumulative counts per upper bound
// (+Inf included), interpolated linearly inside the bucket (as Prometheus'
// histogram_quantile).
double Quantile(const std::map<double, double>& cumulative, double q) {
  if (cumulative.empty()) return NAN;
  const double total = cumulative.rbegin()->second;
  if (total <= 0) return NAN;
  const double rank = q * total;
  double lower = 0, below = 0;
  for (const auto& [bound, count] : cumulative) {
    if (count >= rank) {
      if (std::isinf(bound)) return lower;
      const double in_bucket = count - below;
      return in_bucket <= 0 ? bound : lower + (bound - lower) * (rank - below) / in_bucket;
    }
    lower = bound;
    below = count;
  }
  return lower;
}

}  // namespace

DeploymentMonitor::DeploymentMonitor(const store::Workspace& ws, metadata::MetadataStore& db,
                                     metadata::ControlStore& control, EventBus& bus, TriggerEngine& engine,
                                     Clock& clock, DeploymentMonitorOptions options)
    : ws_(ws), db_(db), control_(control), bus_(bus), engine_(engine), clock_(clock), options_(options) {}

int64_t DeploymentMonitor::NextDueNs() const {
  int64_t due = next_discover_ns_;
  for (const auto& [name, w] : deployments_) {
    due = std::min({due, w.next_scrape_ns, w.window_start_ns + options_.window_ns});
  }
  return due;
}

void DeploymentMonitor::Discover() {
  std::error_code ec;
  const std::string root = ws_.root() + "/serving";
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    std::ifstream in(entry.path() / "endpoint.json");
    if (!in) continue;
    json doc = json::parse(in, nullptr, false);
    if (!doc.is_object() || !metadata::ProcessAliveHere(doc.value("pid", int64_t{0}))) continue;
    const std::string name = entry.path().filename().string();
    auto [it, added] = deployments_.try_emplace(name);
    Watched& w = it->second;
    if (added) {
      w.drift = monitor::DriftMonitor({.consecutive = options_.consecutive});
      w.window_start_ns = clock_.WallNanos();
      bus_.Publish({.kind = "deployment.watched",
                    .data = json{{"deployment", name}, {"url", doc.value("url", "")}}.dump()});
    }
    w.url = doc.value("url", "");
    if (doc.contains("variants") && doc["variants"].is_array() && !doc["variants"].empty()) {
      w.model_ref = doc["variants"][0].value("model", "");
      w.package = doc["variants"][0].value("package", "");
    }
  }
}

void DeploymentMonitor::Problem(const std::string& name, Watched& w, const std::string& what) {
  if (w.last_problem == what) return;  // said once until it changes
  w.last_problem = what;
  bus_.Publish({.kind = "monitor.problem", .data = json{{"deployment", name}, {"problem", what}}.dump()});
}

void DeploymentMonitor::Tick() {
  const int64_t now = clock_.WallNanos();
  if (now >= next_discover_ns_) {
    Discover();
    next_discover_ns_ = now + options_.scrape_ns;
  }
  for (auto& [name, w] : deployments_) {
    if (now >= w.next_scrape_ns) {
      Scrape(name, w);
      w.next_scrape_ns = now + options_.scrape_ns;
    }
    if (now >= w.window_start_ns + options_.window_ns) {
      JudgeWindow(name, w, w.window_start_ns, now);
      w.window_start_ns = now;
    }
  }
}

void DeploymentMonitor::Scrape(const std::string& name, Watched& w) {
  if (w.url.empty()) return;
  httplib::Client client(w.url);
  client.set_connection_timeout(1);
  client.set_read_timeout(2);
  auto res = client.Get("/metrics");
  if (!res || res->status != 200) {
    Problem(name, w, fmt::format("cannot scrape {}/metrics", w.url));
    return;
  }
  std::map<std::string, double> requests, errors;
  std::map<std::string, std::map<double, double>> buckets;
  for (const std::string& line : Split(res->body, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t brace = line.find('{');
    const size_t close = line.find('}');
    if (brace == std::string::npos || close == std::string::npos) continue;
    const std::string metric = line.substr(0, brace);
    const std::string_view labels(line.data() + brace + 1, close - brace - 1);
    const double value = std::strtod(line.c_str() + close + 1, nullptr);
    const std::string variant = Label(labels, "variant");
    if (metric == "mlpipe_requests_total") {
      requests[variant] += value;
      const std::string code = Label(labels, "code");
      if (!code.empty() && code[0] >= '4') errors[variant] += value;
    } else if (metric == "mlpipe_request_duration_seconds_bucket") {
      const std::string le = Label(labels, "le");
      buckets[variant][le == "+Inf" ? INFINITY : std::strtod(le.c_str(), nullptr)] += value;
    }
  }
  const int64_t t = clock_.WallNanos();
  std::vector<metadata::SeriesPoint> points;
  for (const auto& [variant, count] : requests) {
    const std::string labels = SeriesLabels({{"deployment", name}, {"variant", variant}});
    points.push_back({"mlpipe_inference_requests_total", labels, t, count});
    points.push_back({"mlpipe_inference_errors_total", labels, t, errors[variant]});
  }
  for (auto& [variant, cumulative] : buckets) {
    // The latency of the requests since the last scrape: bucket differences.
    std::map<double, double> delta = cumulative;
    auto last = w.last_buckets.find(variant);
    if (last != w.last_buckets.end()) {
      for (auto& [bound, count] : delta) {
        auto was = last->second.find(bound);
        if (was != last->second.end()) count = std::max(0.0, count - was->second);
      }
    }
    w.last_buckets[variant] = cumulative;
    for (double q : {0.5, 0.95, 0.99}) {
      const double v = Quantile(delta, q);
      if (std::isnan(v)) continue;
      points.push_back(
          {"mlpipe_inference_latency_seconds",
           SeriesLabels({{"deployment", name}, {"variant", variant}, {"quantile", fmt::format("{}", q)}}), t,
           v});
    }
  }
  (void)control_.AppendSeries(points);
  w.last_problem.clear();
}

Status DeploymentMonitor::LoadReference(Watched& w) {
  const std::string of = w.model_ref.empty() ? w.package : w.model_ref;
  serving::ModelSpec spec;
  spec.model_ref = w.model_ref;
  spec.package_path = w.package;
  ASSIGN_OR_RETURN(auto objects, store::ObjectStore::Open(ws_));
  serving::RegistrySource source(&db_, objects.get());
  ASSIGN_OR_RETURN(serving::ResolvedModel resolved, source.Resolve(spec));
  const std::string key = of + "@" + resolved.version;
  if (w.reference && w.reference_of == key) return OkStatus();
  std::ifstream in(resolved.package_dir + "/manifest.json");
  json manifest = json::parse(in, nullptr, false);
  const std::string stats_file = manifest.is_object() ? manifest.value("stats_file", "") : "";
  if (stats_file.empty()) {
    return FailedPreconditionError(
        fmt::format("the package of {} has no reference statistics (stats.json)", of));
  }
  ASSIGN_OR_RETURN(data::TableStats stats, data::LoadStats(resolved.package_dir + "/" + stats_file));
  w.reference = std::move(stats);
  w.reference_of = key;
  return OkStatus();
}

void DeploymentMonitor::JudgeWindow(const std::string& name, Watched& w, int64_t from, int64_t to) {
  if (Status s = LoadReference(w); !s.ok()) {
    Problem(name, w, s.message());
    return;
  }
  const std::string dir = serving::ServingLogDir(ws_.root(), name);
  monitor::LogWindowOptions log;
  log.from_ns = from;
  log.to_ns = to;
  monitor::DriftOptions drift;
  drift.min_rows = options_.min_rows;
  auto window = monitor::DriftOfLogWindow(dir, *w.reference, log, drift);
  if (!window.ok()) {
    if (window.status().code() != StatusCode::kNotFound) Problem(name, w, window.status().message());
    return;
  }
  const monitor::DriftDecision decision = w.drift.Observe(window->window);
  std::vector<metadata::SeriesPoint> points;
  for (const monitor::FeatureDrift& f : window->window.features) {
    if (!f.checked || std::isnan(f.psi)) continue;
    points.push_back(
        {"mlpipe_drift_psi", SeriesLabels({{"deployment", name}, {"feature", f.feature}}), to, f.psi});
  }
  if (!window->window.skipped) {
    points.push_back(
        {"mlpipe_drift_alert", SeriesLabels({{"deployment", name}}), to, w.drift.armed() ? 0.0 : 1.0});
  }
  // CBPE for binary classifiers: estimated beside realised (feedback).
  auto predictions = monitor::ReadPredictionWindow(dir, log);
  auto feedback = monitor::ReadFeedbackWindow(dir, log);
  if (predictions.ok() && feedback.ok() && !predictions->predictions.empty()) {
    auto perf = monitor::ComparePerformance(predictions->predictions, feedback->entries, {});
    if (perf.ok()) {
      const std::string labels = SeriesLabels({{"deployment", name}});
      points.push_back({"mlpipe_estimated_accuracy", labels, to, perf->estimated.accuracy});
      if (!std::isnan(perf->estimated.roc_auc)) {
        points.push_back({"mlpipe_estimated_roc_auc", labels, to, perf->estimated.roc_auc});
      }
      if (perf->realised.rows > 0)
        points.push_back({"mlpipe_realised_accuracy", labels, to, perf->realised.accuracy});
    }
  }
  (void)control_.AppendSeries(points);
  bus_.Publish({.kind = "drift.window",
                .data = json{{"deployment", name},
                             {"rows", window->window.rows},
                             {"decision", monitor::DriftDecisionName(decision.kind)},
                             {"reason", decision.reason}}
                            .dump()});
  if (decision.raise) {
    bus_.Publish({.kind = "alert",
                  .data = json{{"deployment", name}, {"kind", "drift"}, {"reason", decision.reason}}.dump()});
    (void)engine_.Drift(name, decision.reason);
  }
}

}  // namespace mlpipe::server
