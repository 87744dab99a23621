// Built-in `evaluate`: metrics of a model package on a test set, and the
// blessing decision (thresholds, and beating a baseline model by a margin).
#include <cmath>

#include <fmt/format.h>

#include "mlpipe/base/evaluate_metrics.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/ml/components/common.h"
#include "mlpipe/ml/components/param_check.h"
#include "mlpipe/ml/metrics.h"
#include "mlpipe/ml/model_package.h"

namespace mlpipe::ml::components {

const char* const kEvaluateYaml = R"(component: evaluate
description: Evaluate a model package on a test set; bless it if it passes the thresholds and beats the baseline model.
builtin: evaluate
inputs:
  model: model
  test: dataset
  baseline: {type: model, optional: true}
outputs:
  metrics: metrics
  blessing: blessing
params:
  metric: {type: string, default: ""}
  margin: {type: float, default: 0.0}
  min_accuracy: {type: float, default: 0.0}
  min_roc_auc: {type: float, default: 0.0}
  min_f1: {type: float, default: 0.0}
  min_r2: {type: float, default: 0.0}
  max_rmse: {type: float, default: 0.0}
  max_mae: {type: float, default: 0.0}
  max_log_loss: {type: float, default: 0.0}
  fail_if_not_blessed: {type: bool, default: false}
)";

void CheckEvaluateParams(ParamCheck& c) {
  std::vector<std::string> metrics = {""};  // "": the task's default
  metrics.insert(metrics.end(), EvaluateMetricNames().begin(), EvaluateMetricNames().end());
  c.OneOf("metric", metrics);
  // A floor above 1 is allowed: it never blesses (a way to hold a model back).
  for (const char* name : {"min_accuracy", "min_roc_auc", "min_f1"}) c.AtLeast(name, 0);
  for (const char* name : {"max_rmse", "max_mae", "max_log_loss"}) c.AtLeast(name, 0);
}

namespace {

const char* DefaultMetric(Task task) {
  switch (task) {
    case Task::kBinary: return "roc_auc";
    case Task::kMulticlass: return "accuracy";
    case Task::kRegression: return "rmse";
  }
  return "accuracy";
}

StatusOr<EvaluationReport> EvaluateOn(const LoadedModel& model, const std::string& test_path,
                                      const std::string& which) {
  ASSIGN_OR_RETURN(data::Table test, ReadForModel("test", test_path, model));
  RETURN_IF_ERROR(RequireColumn(test, model.manifest().target, "target column", "test"));
  auto y = model.EncodeTargets(test);
  if (!y.ok()) return y.status().WithContext("input 'test'");
  auto p = model.Predict(test);
  if (!p.ok()) return p.status().WithContext(fmt::format("predicting with the {} model", which));
  return Evaluate(model.task(), y->y, *p);
}

}  // namespace

Status RunEvaluate(const BuiltinInvocation& inv) {
  ASSIGN_OR_RETURN(std::string model_path, Input(inv, "model"));
  ASSIGN_OR_RETURN(std::string test_path, Input(inv, "test"));
  std::optional<std::string> baseline_path = OptionalInput(inv, "baseline");
  ASSIGN_OR_RETURN(std::string out_metrics, Output(inv, "metrics"));
  ASSIGN_OR_RETURN(std::string out_blessing, Output(inv, "blessing"));
  ASSIGN_OR_RETURN(std::string metric, ParamString(inv, "metric", ""));
  ASSIGN_OR_RETURN(double margin, ParamFloat(inv, "margin", 0.0));
  ASSIGN_OR_RETURN(bool fail_if_not_blessed, ParamBool(inv, "fail_if_not_blessed", false));

  ASSIGN_OR_RETURN(std::shared_ptr<const LoadedModel> model, LoadModelInput("model", model_path));
  const Task task = model->task();
  if (metric.empty()) metric = DefaultMetric(task);
  ASSIGN_OR_RETURN(EvaluationReport report, EvaluateOn(*model, test_path, "candidate"));
  if (std::isnan(report.Get(metric))) {
    std::vector<std::string> names;
    for (const auto& [n, v] : report.metrics) names.push_back(n);
    return InvalidArgumentError(fmt::format("param metric '{}' is not available for a {} model; available: {}", metric,
                                            TaskName(task), Join(names, ", ")));
  }
  MetricsWriter metrics(inv);
  for (const auto& [name, value] : report.metrics) RETURN_IF_ERROR(metrics.Record(name, value));
  nlohmann::json metrics_json = report.ToJson();

  // Blessing: every threshold, then the baseline comparison.
  std::vector<std::string> failures;
  nlohmann::json checks = nlohmann::json::array();
  for (const char* name : {"accuracy", "roc_auc", "f1", "r2", "rmse", "mae", "log_loss"}) {
    const bool is_max = !HigherIsBetter(name);
    std::string param = fmt::format("{}_{}", is_max ? "max" : "min", name);
    ASSIGN_OR_RETURN(double threshold, ParamFloat(inv, param, 0.0));
    if (threshold == 0) continue;
    double value = report.Get(name);
    bool pass = !std::isnan(value) && (is_max ? value <= threshold : value >= threshold);
    checks.push_back({{"check", param}, {"threshold", threshold}, {"value", std::isnan(value) ? nlohmann::json() : nlohmann::json(value)}, {"passed", pass}});
    if (!pass) {
      failures.push_back(std::isnan(value) ? fmt::format("{} is not available for a {} model", name, TaskName(task))
                                           : fmt::format("{} {:.4f} {} {} {:.4f}", name, value, is_max ? ">" : "<",
                                                         param, threshold));
    }
  }
  const double candidate = report.Get(metric);
  nlohmann::json blessing = {{"metric", metric}, {"candidate", candidate}, {"margin", margin}, {"checks", checks}};
  std::string comparison;
  if (baseline_path) {
    ASSIGN_OR_RETURN(std::shared_ptr<const LoadedModel> baseline, LoadModelInput("baseline", *baseline_path));
    if (baseline->task() != task) {
      return InvalidArgumentError(
          fmt::format("input 'baseline' is a {} model, input 'model' a {} one: they cannot "
                      "be compared",
                      TaskName(baseline->task()), TaskName(task)));
    }
    ASSIGN_OR_RETURN(EvaluationReport base_report, EvaluateOn(*baseline, test_path, "baseline"));
    const double base = base_report.Get(metric);
    metrics_json["baseline"] = base_report.ToJson();
    for (const auto& [name, value] : base_report.metrics) RETURN_IF_ERROR(metrics.Record("baseline_" + name, value));
    blessing["baseline"] = std::isnan(base) ? nlohmann::json() : nlohmann::json(base);
    const bool higher = HigherIsBetter(metric);
    if (!std::isnan(base)) {
      const bool beats = higher ? candidate >= base + margin : candidate <= base - margin;
      comparison = fmt::format("{} {:.4f} vs baseline {:.4f} (margin {})", metric, candidate, base, margin);
      if (!beats) failures.push_back(fmt::format("{}: does not beat the baseline", comparison));
    } else {
      comparison = fmt::format("baseline has no {}; compared on thresholds only", metric);
    }
  }
  const bool blessed = failures.empty();
  std::string reason;
  if (blessed) {
    reason = comparison.empty() ? fmt::format("{} {:.4f}; all thresholds passed; no baseline to beat", metric, candidate)
                                : fmt::format("{}; all thresholds passed", comparison);
  } else {
    reason = Join(failures, "; ");
  }
  blessing["blessed"] = blessed;
  blessing["reason"] = reason;
  RETURN_IF_ERROR(WriteJsonFile(out_metrics, metrics_json));
  RETURN_IF_ERROR(WriteJsonFile(out_blessing, blessing));
  RETURN_IF_ERROR(metrics.Record("blessed", blessed ? 1 : 0));
  Log(inv) << fmt::format("{}: {}\n", blessed ? "blessed" : "NOT blessed", reason);
  if (!blessed && fail_if_not_blessed) return FailedPreconditionError("model not blessed: " + reason);
  return OkStatus();
}

}  // namespace mlpipe::ml::components
