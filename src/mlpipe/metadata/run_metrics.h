// The metrics of a run as people read them: those its own executions
// recorded, and, for a step that was cached, those of the execution whose
// outputs it reused (the run recorded no new ones, but the step's numbers are
// the reused execution's). `runs show`, `runs compare`, `runs metrics`,
// `runs list --sort` and the registry's metrics snapshot all read them here,
// so a run whose steps were all cached (or that reused an earlier run whole)
// shows the same metrics as the run that computed them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/metadata_store.h"

namespace mlpipe::metadata {

struct RunMetric {
  std::string step;  // "" for a run-level metric
  std::string name;
  double value = 0;
  std::optional<int64_t> iteration;  // a point of a curve
  // For a cached step: the run whose execution recorded the value.
  std::optional<int64_t> reused_from_run;

  // "STEP.NAME", or "NAME" for a run-level metric.
  std::string Key() const { return step.empty() ? name : step + "." + name; }
};

// Every metric of run `run_id`: run-level ones first, then step by step in
// execution order, each step's by name, then iteration and insertion (so a
// curve's points are in order). A cached execution contributes its reused
// execution's metrics (none if that run was deleted). NotFound if the run
// is absent.
StatusOr<std::vector<RunMetric>> RunMetrics(MetadataStore& db, int64_t run_id);

// The final value of every metric, by Key(): a single value, or a curve's
// last point (highest iteration).
std::map<std::string, double> FinalMetricValues(const std::vector<RunMetric>& metrics);

// A curve (the points of one metric with iterations) in a few numbers.
struct CurveSummary {
  int64_t count = 0;
  double first = 0, last = 0, min = 0, max = 0;
  int64_t first_iteration = 0, last_iteration = 0;
  int64_t min_iteration = 0, max_iteration = 0;  // where min and max are first reached
};
// `points`: (iteration, value) in iteration order; must not be empty.
CurveSummary SummarizeCurve(const std::vector<std::pair<int64_t, double>>& points);

// The built-in each step of run `run_id` runs ("evaluate", ...; absent for
// command steps), from its execution's key record or, for a cached one, the
// reused execution's.
StatusOr<std::map<std::string, std::string>> StepBuiltins(MetadataStore& db, int64_t run_id);

// Whether a metric is a test metric, listed first by `runs metrics`: every
// metric of a step that runs the built-in evaluate, and any metric named
// "test_..." or "test...." of a command step (other built-ins' "test_" names,
// such as split's test_rows, describe data, not a model).
bool IsTestMetric(const std::string& step_builtin, const std::string& name);

}  // namespace mlpipe::metadata
