// The scalar metrics the built-in `evaluate` component computes, by name:
// one list for the code that computes them (ml/metrics.h, the evaluate
// component's `metric` param) and the code that checks a spec's references
// to them (spec: deploy: gates). Here because spec and ml share only base.
#pragma once

#include <string>
#include <vector>

namespace mlpipe {

// accuracy, precision, recall, f1, roc_auc, log_loss (classifiers); rmse,
// mae, r2 (regression): in this order.
inline const std::vector<std::string>& EvaluateMetricNames() {
  static const auto* names = new std::vector<std::string>{"accuracy", "precision", "recall", "f1", "roc_auc",
                                                          "log_loss", "rmse",      "mae",    "r2"};
  return *names;
}

// Whether a larger value of the metric is better: false for rmse, mae and
// log_loss, true for every other.
inline bool MetricHigherIsBetter(const std::string& metric) {
  return !(metric == "rmse" || metric == "mae" || metric == "log_loss");
}

}  // namespace mlpipe
