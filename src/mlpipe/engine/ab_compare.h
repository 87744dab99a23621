// The comparison at the heart of `mlpipe ab`: two models' predictions on the
// same test rows, metric by metric, with a paired bootstrap interval of the
// difference B - A and a reading of it ("B better", "A better", "no
// difference"), and the verdict line on the primary metric.
//
// Pure: no I/O, no clock; the bootstrap draws come from the seed in the
// options, so the same predictions and options give the same numbers bit for
// bit (stats/bootstrap.h). docs/ab-testing.md says what is compared and how.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/ml/task.h"
#include "mlpipe/stats/bootstrap.h"

namespace mlpipe::engine {

// One model's answers on the test rows: the targets encoded as that model
// encodes them (class indexes into its own class labels, or values) and its
// predictions, row for row.
struct ScoredModel {
  ml::Task task = ml::Task::kRegression;
  std::vector<float> y;
  ml::Predictions predictions;
};

// Which side a metric's interval favours.
enum class AbWinner { kB, kA, kNone };
// "B better", "A better", "no difference".
const char* AbWinnerText(AbWinner winner);
// "b", "a", "none" (the JSON form).
const char* AbWinnerKey(AbWinner winner);

struct AbMetric {
  std::string name;
  bool higher_is_better = true;  // ml::HigherIsBetter(name)
  double a = 0, b = 0;           // the metric of each model on every test row
  // delta = b - a in the metric's own units (for rmse, mae, log_loss a
  // negative delta favours B); [lo, hi] its paired percentile interval.
  double delta = 0, lo = 0, hi = 0;
  int resamples = 0;  // resamples where the delta was defined
  int skipped = 0;    // resamples where it was not (e.g. ROC AUC of one class)
  // B when the whole interval lies on B's side of 0 (above it for a
  // higher-is-better metric, below it otherwise), A when on A's side, none
  // when it contains 0.
  AbWinner winner = AbWinner::kNone;
};

// The metric names ml::MetricValue knows for `task`, in report order:
// accuracy, precision, recall, f1, roc_auc, log_loss (classification);
// rmse, mae, r2 (regression).
std::vector<std::string> MetricsOfTask(ml::Task task);
// Every metric name of any task (what --metric accepts before the task is known).
std::vector<std::string> AllMetricNames();
// The primary metric when none is named: roc_auc (binary), accuracy
// (multiclass), rmse (regression): the evaluate built-in's default.
std::string DefaultPrimaryMetric(ml::Task task);

// Compares `b` with `a` on each of `metrics` (in the given order).
// InvalidArgument: the two differ in task or row count, a metric is unknown
// for the task or undefined on the whole rows (e.g. ROC AUC with one class),
// or the bootstrap fails (its options, or fewer than half the resamples
// defined).
StatusOr<std::vector<AbMetric>> CompareModels(const ScoredModel& a, const ScoredModel& b,
                                              const std::vector<std::string>& metrics,
                                              const stats::BootstrapOptions& options);

// The metrics of `task` (MetricsOfTask) that are defined on both models'
// whole rows: the default set when no --metric is given, so that a metric a
// test split cannot define (ROC AUC with one class present) is left out
// rather than failing the comparison.
std::vector<std::string> DefinedMetrics(const ScoredModel& a, const ScoredModel& b);

// The verdict on `primary` at `confidence`:
//   "B beats A on roc_auc: +0.0123 [+0.0040, +0.0201] at 95 %"
//   "A beats B on rmse: +0.4100 [+0.1200, +0.7000] at 95 %"
//   "no difference on accuracy: -0.0033 [-0.0300, +0.0233] at 95 %"
// The numbers are always delta = B - A and its interval.
std::string AbVerdict(const AbMetric& primary, double confidence);

// {"name", "higher_is_better", "a", "b", "delta", "lo", "hi", "better" ("b",
//  "a" or "none"), "resamples", "skipped"}.
nlohmann::json AbMetricJson(const AbMetric& m);

}  // namespace mlpipe::engine
