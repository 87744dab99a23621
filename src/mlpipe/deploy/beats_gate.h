// The offline gate "the candidate beats the champion": both model packages
// predict the same test rows, the named metric is computed for each, and a
// paired bootstrap over the rows (stats/bootstrap.h: resamples, seed and
// confidence recorded) gives the interval of the difference. The gate passes
// when the interval's lower end exceeds the margin `by`: the candidate is
// better by at least `by` with the stated confidence, not merely on this
// draw of the test set.
//
// Differences are oriented so that positive is better: candidate - champion
// for a metric where higher is better (roc_auc, accuracy, r2, ...),
// champion - candidate for one where lower is (rmse, mae, log_loss).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/stats/bootstrap.h"

namespace mlpipe::deploy {

struct BeatsInputs {
  std::string metric;  // a metric name ml::MetricValue knows
  double by = 0;       // the margin, in the metric's units
  stats::BootstrapOptions bootstrap;
  std::string candidate_dir;  // model package folders
  std::string champion_dir;
  std::string test_path;  // the CSV both are scored on (the evaluate step's `test`)
};

struct BeatsOutcome {
  std::string metric;
  bool pass = false;
  bool higher_is_better = true;
  double candidate_value = 0;  // the metric on all rows
  double champion_value = 0;
  size_t rows = 0;
  stats::BootstrapInterval interval;  // of the oriented difference
  // "delta roc_auc +0.0011 [-0.0020, +0.0043] at 95 % does not exceed 0.002"
  std::string Describe(double by) const;
  nlohmann::json ToJson() const;
};

// InvalidArgument when the packages' tasks differ, the metric is unknown for
// the task or undefined on the rows; loading and reading errors as
// ml::LoadModelPackage and the CSV reader say them.
StatusOr<BeatsOutcome> ScoreBeats(const BeatsInputs& in);

}  // namespace mlpipe::deploy
