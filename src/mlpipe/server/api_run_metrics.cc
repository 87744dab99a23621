// GET /api/v1/runs/{id}/metrics?step= (final values) and
// /api/v1/runs/{id}/metrics/{name}?step= (one metric's curve), over
// metadata::RunMetrics: a cached step shows the metrics of the execution it
// reused, marked with that run, as `mlpipe runs metrics` does.
#include <fmt/format.h>

#include <map>
#include <optional>

#include "mlpipe/base/strings.h"
#include "mlpipe/metadata/run_metrics.h"
#include "mlpipe/server/api_handlers.h"
#include "mlpipe/server/api_run_steps.h"

namespace mlpipe::server {
namespace {

using nlohmann::json;

// One metric of a step: its single value, its curve, or (rarely) both.
struct MetricSeries {
  std::string step, name;
  std::optional<int64_t> reused_from_run;
  std::optional<double> value;                     // the point without an iteration
  std::vector<std::pair<int64_t, double>> points;  // the curve, in iteration order
};

// The run's metrics (of `step` only, if not empty) as series, in
// RunMetrics' order. NotFound for an unknown run or step.
StatusOr<std::vector<MetricSeries>> Series(ApiContext& ctx, const ApiCall& call, int64_t run_id) {
  ASSIGN_OR_RETURN(const std::string step, call.query.Text("step", ""));
  if (!step.empty()) RETURN_IF_ERROR(FindStep(*ctx.db, run_id, step).status());
  ASSIGN_OR_RETURN(auto metrics, metadata::RunMetrics(*ctx.db, run_id));
  std::vector<MetricSeries> out;
  std::map<std::string, size_t> index;
  for (const auto& m : metrics) {
    if (!step.empty() && m.step != step) continue;
    auto [it, fresh] = index.try_emplace(m.Key(), out.size());
    if (fresh) out.push_back({m.step, m.name, m.reused_from_run, std::nullopt, {}});
    MetricSeries& s = out[it->second];
    if (m.iteration) {
      s.points.emplace_back(*m.iteration, m.value);
    } else {
      s.value = m.value;
    }
  }
  return out;
}

json Base(const MetricSeries& s) {
  return {{"step", s.step},
          {"name", s.name},
          {"reused_from_run", s.reused_from_run ? json(*s.reused_from_run) : json()}};
}

}  // namespace

Status RunMetricValues(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response) {
  RETURN_IF_ERROR(call.query.CheckAllowed({"step"}));
  ASSIGN_OR_RETURN(const int64_t run_id, PathId(call.path[1], "run"));
  ASSIGN_OR_RETURN(auto series, Series(ctx, call, run_id));
  ASSIGN_OR_RETURN(auto builtins, metadata::StepBuiltins(*ctx.db, run_id));
  json list = json::array();
  for (const MetricSeries& s : series) {
    json j = Base(s);
    auto builtin = builtins.find(s.step);
    j["test"] = metadata::IsTestMetric(builtin == builtins.end() ? "" : builtin->second, s.name);
    // The final value: the single value, else the curve's last point.
    j["value"] = s.value ? *s.value : s.points.back().second;
    j["points"] = s.points.size();
    if (!s.points.empty()) {
      metadata::CurveSummary c = metadata::SummarizeCurve(s.points);
      j["curve"] = {{"count", c.count},
                    {"first", c.first},
                    {"last", c.last},
                    {"min", c.min},
                    {"max", c.max},
                    {"min_iteration", c.min_iteration},
                    {"max_iteration", c.max_iteration}};
    }
    list.push_back(std::move(j));
  }
  SetJson(response, {{"run", run_id}, {"metrics", std::move(list)}});
  return OkStatus();
}

Status RunMetricCurve(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response) {
  RETURN_IF_ERROR(call.query.CheckAllowed({"step"}));
  ASSIGN_OR_RETURN(const int64_t run_id, PathId(call.path[1], "run"));
  const std::string& name = call.path[3];
  ASSIGN_OR_RETURN(auto series, Series(ctx, call, run_id));
  json list = json::array();
  std::vector<std::string> names;
  for (const MetricSeries& s : series) {
    names.push_back(s.name);
    if (s.name != name) continue;
    json j = Base(s);
    j["value"] = s.value ? json(*s.value) : json();
    json points = json::array();
    for (const auto& [iteration, value] : s.points)
      points.push_back({{"iteration", iteration}, {"value", value}});
    j["points"] = std::move(points);
    list.push_back(std::move(j));
  }
  if (list.empty()) {
    const std::string hint = ClosestMatch(name, names);
    return NotFoundError(fmt::format("run {} has no metric '{}'{}", run_id, name,
                                     hint.empty() ? "" : "; did you mean '" + hint + "'?"));
  }
  SetJson(response, {{"run", run_id}, {"name", name}, {"series", std::move(list)}});
  return OkStatus();
}

}  // namespace mlpipe::server
