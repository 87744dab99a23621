#include "mlpipe/monitor/monitor_json.h"

#include <cmath>

namespace mlpipe::monitor {
namespace {

nlohmann::json Number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace

nlohmann::json ToJson(const DriftWindow& w) {
  nlohmann::json features = nlohmann::json::array();
  for (const FeatureDrift& f : w.features) {
    features.push_back({{"feature", f.feature},
                        {"type", data::ColumnTypeName(f.type)},
                        {"values", f.values},
                        {"checked", f.checked},
                        {"psi", Number(f.psi)},
                        {"ks", Number(f.ks)},
                        {"ks_p_value", Number(f.ks_p_value)},
                        {"level", DriftLevelName(f.level)},
                        {"reason", f.reason}});
  }
  return {{"rows", w.rows},
          {"skipped", w.skipped},
          {"level", DriftLevelName(w.level)},
          {"reason", w.reason},
          {"worst_feature", w.worst_feature},
          {"ks_tests", w.ks_tests},
          {"ks_threshold", w.ks_threshold},
          {"missing", w.missing},
          {"features", std::move(features)}};
}

nlohmann::json ToJson(const DriftDecision& d) {
  return {{"decision", DriftDecisionName(d.kind)},
          {"raise", d.raise},
          {"cleared", d.cleared},
          {"streak", d.streak},
          {"reason", d.reason}};
}

nlohmann::json ToJson(const PerformanceFigures& f) {
  return {{"rows", f.rows},
          {"accuracy", Number(f.accuracy)},
          {"roc_auc", Number(f.roc_auc)},
          {"positive_rate", Number(f.positive_rate)}};
}

nlohmann::json ToJson(const PerformanceComparison& c) {
  return {{"estimated", ToJson(c.estimated)},
          {"estimated_labelled", ToJson(c.estimated_labelled)},
          {"realised", ToJson(c.realised)},
          {"without_probabilities", c.without_probabilities},
          {"unmatched_feedback", c.unmatched_feedback},
          {"mismatched_rows", c.mismatched_rows}};
}

}  // namespace mlpipe::monitor
