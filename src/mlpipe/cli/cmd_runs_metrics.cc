// mlpipe runs metrics RUN [--step S] [--json]: a run's metrics alone. Test
// metrics first (metadata::IsTestMetric), then the others step by step in
// the order the steps ran; a curve (a metric with iterations) in one line:
// its count, first, last, min and max. A cached step shows the metrics of
// the execution it reused, marked with that run.
#include <fmt/format.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "mlpipe/base/strings.h"
#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/format.h"
#include "mlpipe/cli/workspace.h"
#include "mlpipe/metadata/run_metrics.h"

namespace mlpipe::cli {
namespace {

using nlohmann::json;

// One metric of the run: a single value, a curve, or (rarely) both.
struct Series {
  std::string step, name;
  bool test = false;
  std::optional<int64_t> reused_from_run;
  std::optional<double> value;                     // the point without an iteration
  std::vector<std::pair<int64_t, double>> points;  // the curve, in iteration order
};

// The run's metrics as series, test ones first, then in RunMetrics' order.
std::vector<Series> Group(const std::vector<metadata::RunMetric>& metrics,
                          const std::map<std::string, std::string>& builtins) {
  std::vector<Series> out;
  std::map<std::string, size_t> index;  // "STEP.NAME" -> position in out
  for (const auto& m : metrics) {
    auto [it, fresh] = index.try_emplace(m.Key(), out.size());
    if (fresh) {
      auto builtin = builtins.find(m.step);
      out.push_back({m.step,
                     m.name,
                     metadata::IsTestMetric(builtin == builtins.end() ? "" : builtin->second, m.name),
                     m.reused_from_run,
                     std::nullopt,
                     {}});
    }
    Series& s = out[it->second];
    if (m.iteration) {
      s.points.emplace_back(*m.iteration, m.value);
    } else {
      s.value = m.value;
    }
  }
  std::stable_partition(out.begin(), out.end(), [](const Series& s) { return s.test; });
  return out;
}

std::string CurveText(const metadata::CurveSummary& c) {
  return fmt::format(
      "curve of {} points: first {:.6g} (@{}), last {:.6g} (@{}), min {:.6g} (@{}), max {:.6g} (@{})",
      c.count, c.first, c.first_iteration, c.last, c.last_iteration, c.min, c.min_iteration, c.max,
      c.max_iteration);
}

json SeriesJson(const Series& s) {
  return {{"step", s.step},
          {"name", s.name},
          {"test", s.test},
          {"reused_from_run", s.reused_from_run ? json(*s.reused_from_run) : json()}};
}

}  // namespace

Status CmdRunsMetrics(int64_t run_id, const std::string& step, bool as_json) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  ASSIGN_OR_RETURN(auto run, s.db->GetRun(run_id));
  ASSIGN_OR_RETURN(auto metrics, metadata::RunMetrics(*s.db, run_id));
  if (!step.empty()) {
    ASSIGN_OR_RETURN(auto execs, s.db->ListExecutions(run_id));
    std::vector<std::string> names;
    for (const auto& e : execs) names.push_back(e.step);
    if (std::find(names.begin(), names.end(), step) == names.end()) {
      std::string hint = ClosestMatch(step, names);
      return NotFoundError(fmt::format("run {} has no step '{}'{}", run_id, step,
                                       hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    }
    std::erase_if(metrics, [&](const metadata::RunMetric& m) { return m.step != step; });
  }
  ASSIGN_OR_RETURN(auto builtins, metadata::StepBuiltins(*s.db, run_id));
  const std::vector<Series> series = Group(metrics, builtins);

  if (as_json) {
    json values = json::array();
    json curves = json::array();
    for (const Series& x : series) {
      if (x.value) {
        json j = SeriesJson(x);
        j["value"] = *x.value;
        values.push_back(std::move(j));
      }
      if (x.points.empty()) continue;
      const metadata::CurveSummary c = metadata::SummarizeCurve(x.points);
      json j = SeriesJson(x);
      j.update({{"count", c.count},
                {"first", c.first},
                {"last", c.last},
                {"min", c.min},
                {"max", c.max},
                {"first_iteration", c.first_iteration},
                {"last_iteration", c.last_iteration},
                {"min_iteration", c.min_iteration},
                {"max_iteration", c.max_iteration}});
      json points = json::array();
      for (const auto& [iteration, value] : x.points)
        points.push_back({{"iteration", iteration}, {"value", value}});
      j["points"] = std::move(points);
      curves.push_back(std::move(j));
    }
    std::cout << json{{"run", run.id},
                      {"pipeline", run.pipeline},
                      {"status", std::string(metadata::ToString(run.status))},
                      {"metrics", values},
                      {"curves", curves}}
                     .dump(2)
              << "\n";
    return OkStatus();
  }
  std::cout << fmt::format("run {} of pipeline '{}' ({})\n", run.id, run.pipeline,
                           metadata::ToString(run.status));
  if (series.empty()) {
    std::cout << (step.empty() ? "no metrics\n" : fmt::format("step {} reported no metrics\n", step));
    return OkStatus();
  }
  size_t width = 0;
  for (const Series& x : series) width = std::max(width, (x.test ? x.step.size() + 1 : 0) + x.name.size());
  std::string section = "\x01";  // none yet
  for (const Series& x : series) {
    const std::string heading =
        x.test ? "test metrics:"
               : (x.step.empty() ? "run:" : x.step + ":") +
                     (x.reused_from_run ? fmt::format(" (reused from run {})", *x.reused_from_run) : "");
    if (heading != section) {
      std::cout << heading << "\n";
      section = heading;
    }
    // Test metrics come from any step: named STEP.NAME, marked when reused.
    const std::string name = x.test && !x.step.empty() ? x.step + "." + x.name : x.name;
    const std::string reused =
        x.test && x.reused_from_run ? fmt::format("  (reused from run {})", *x.reused_from_run) : "";
    if (x.value) std::cout << fmt::format("  {:<{}}  {:.6g}{}\n", name, width, *x.value, reused);
    if (!x.points.empty()) {
      std::cout << fmt::format("  {:<{}}  {}{}\n", name, width, CurveText(metadata::SummarizeCurve(x.points)),
                               reused);
    }
  }
  return OkStatus();
}

}  // namespace mlpipe::cli
