// What one variant of a deployment did over a window of time: differences
// of the cumulative counters `mlpipe serve` reports per variant
// (GET /v2/deployments/NAME/stats, docs/http-api.md). The rollout controller
// reads them at a step's start (the baseline) and at every look, and judges
// the difference; both variants are read in the same response, so they cover
// the same window.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::deploy {

struct VariantCounters {
  double requests = 0;  // model requests answered
  // Randomization units among them: a distinct sticky key counts once (per
  // deployment revision the serve process applied), a request without a key
  // counts one. 0 from a serve process that does not report them. What the
  // sample-ratio check counts: requests of one user are not independent.
  double units = 0;
  double errors = 0;                   // answered >= 500
  std::vector<double> latency_le;      // bucket upper bounds (seconds), the last +inf
  std::vector<double> latency_counts;  // cumulative counts per bound
  // The prediction call alone (the stats' "model_latency"), the same shape:
  // what a shadow's latency is compared on, since a shadow copy has no
  // request of its own.
  std::vector<double> model_latency_le;
  std::vector<double> model_latency_counts;
  double dropped = 0;                     // a shadow's copies dropped (never errors)
  double feedback = 0;                    // rows with a true label
  double correct = 0;                     // classifiers: labels equal to the prediction
  double abs_error_sum = 0;               // regression: sum of |label - prediction|
  std::map<std::string, double> classes;  // predictions per class label

  // The fields of one entry of the stats' "variants" array (missing
  // counters are 0).
  static VariantCounters FromJson(const nlohmann::json& variant);
  nlohmann::json ToJson() const;
  // this - base, field by field (buckets matched by bound). A counter that
  // went down means the process restarted: the caller resets its baseline.
  VariantCounters Minus(const VariantCounters& base) const;
  bool WentDown(const VariantCounters& base) const;
};

// A whole stats response: the process's start time (a changed one means
// every counter restarted from zero) and the variants by name, the shadow
// (the stats' "shadow" entry) among them under its own name.
struct DeploymentCounters {
  int64_t started_ns = 0;
  int64_t revision = 0;  // the deployment revision the serve process applies (a number or its text)
  std::map<std::string, VariantCounters> variants;
  // Which version each variant serves now ("" when none is live).
  std::map<std::string, std::string> live_versions;
  static StatusOr<DeploymentCounters> FromJson(const nlohmann::json& stats);
  // The same shape FromJson reads (a rollout stores its baseline so).
  nlohmann::json ToJson() const;
};

}  // namespace mlpipe::deploy
