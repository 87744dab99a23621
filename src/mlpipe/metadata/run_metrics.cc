#include "mlpipe/metadata/run_metrics.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "mlpipe/base/strings.h"

namespace mlpipe::metadata {
namespace {

std::string BuiltinOf(const std::string& key_record) {
  if (key_record.empty()) return "";
  auto j = nlohmann::json::parse(key_record, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("impl") || !j["impl"].is_object()) return "";
  const auto& impl = j["impl"];
  return impl.contains("builtin") && impl["builtin"].is_string() ? impl["builtin"].get<std::string>() : "";
}

}  // namespace

StatusOr<std::vector<RunMetric>> RunMetrics(MetadataStore& db, int64_t run_id) {
  RETURN_IF_ERROR(db.GetRun(run_id).status());
  ASSIGN_OR_RETURN(std::vector<Execution> execs, db.ListExecutions(run_id));
  ASSIGN_OR_RETURN(std::vector<Metric> own, db.MetricsForRun(run_id));
  std::vector<int64_t> reused;
  for (const Execution& e : execs) {
    if (e.status == ExecutionStatus::kCached && e.reused_from) reused.push_back(*e.reused_from);
  }
  ASSIGN_OR_RETURN(std::vector<Metric> borrowed, db.MetricsForExecutions(reused));

  // Metrics by the execution of this run they belong to (0: the run's own).
  std::map<int64_t, std::vector<RunMetric>> by_execution;
  std::map<int64_t, std::string> step_of;
  for (const Execution& e : execs) step_of[e.id] = e.step;
  for (const Metric& m : own) {
    const int64_t exec = m.execution_id.value_or(0);
    by_execution[exec].push_back({exec ? step_of[exec] : "", m.name, m.value, m.step, std::nullopt});
  }
  std::map<int64_t, std::vector<const Execution*>> users;  // reused execution -> this run's cached ones
  for (const Execution& e : execs) {
    if (e.status == ExecutionStatus::kCached && e.reused_from) users[*e.reused_from].push_back(&e);
  }
  for (const Metric& m : borrowed) {
    for (const Execution* e : users[m.execution_id.value_or(0)]) {
      by_execution[e->id].push_back({e->step, m.name, m.value, m.step, m.run_id});
    }
  }
  std::vector<RunMetric> out;
  auto take = [&](int64_t exec) {
    auto it = by_execution.find(exec);
    if (it == by_execution.end()) return;
    // By name, then iteration (a single value before a curve's points).
    std::stable_sort(it->second.begin(), it->second.end(), [](const RunMetric& a, const RunMetric& b) {
      if (a.name != b.name) return a.name < b.name;
      return a.iteration.value_or(INT64_MIN) < b.iteration.value_or(INT64_MIN);
    });
    out.insert(out.end(), it->second.begin(), it->second.end());
  };
  take(0);
  for (const Execution& e : execs) take(e.id);
  return out;
}

std::map<std::string, double> FinalMetricValues(const std::vector<RunMetric>& metrics) {
  // RunMetrics orders each metric's points by iteration: the last one wins.
  std::map<std::string, double> out;
  for (const RunMetric& m : metrics) out[m.Key()] = m.value;
  return out;
}

CurveSummary SummarizeCurve(const std::vector<std::pair<int64_t, double>>& points) {
  CurveSummary s;
  s.count = static_cast<int64_t>(points.size());
  if (points.empty()) return s;
  s.first_iteration = points.front().first;
  s.first = points.front().second;
  s.last_iteration = points.back().first;
  s.last = points.back().second;
  s.min = s.max = s.first;
  s.min_iteration = s.max_iteration = s.first_iteration;
  for (const auto& [iteration, value] : points) {
    if (value < s.min) {
      s.min = value;
      s.min_iteration = iteration;
    }
    if (value > s.max) {
      s.max = value;
      s.max_iteration = iteration;
    }
  }
  return s;
}

StatusOr<std::map<std::string, std::string>> StepBuiltins(MetadataStore& db, int64_t run_id) {
  ASSIGN_OR_RETURN(std::vector<Execution> execs, db.ListExecutions(run_id));
  std::map<std::string, std::string> out;
  for (const Execution& e : execs) {
    std::string builtin = BuiltinOf(e.key_record);
    if (builtin.empty() && e.key_record.empty() && e.reused_from) {
      auto reused = db.GetExecution(*e.reused_from);
      if (reused.ok()) builtin = BuiltinOf(reused->key_record);
    }
    if (!builtin.empty()) out[e.step] = builtin;
  }
  return out;
}

bool IsTestMetric(const std::string& step_builtin, const std::string& name) {
  if (step_builtin == "evaluate") return true;
  return step_builtin.empty() && (StartsWith(name, "test_") || StartsWith(name, "test."));
}

}  // namespace mlpipe::metadata
