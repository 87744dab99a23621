// JSON forms of the monitors' results, for the server's API and events.
// Numbers that are undefined (NaN: a PSI not computed, an AUC with one
// class) are null.
//   DriftWindow: {"rows", "skipped", "level", "reason", "worst_feature",
//     "ks_tests", "ks_threshold", "missing": [...], "features": [{"feature",
//     "type", "values", "checked", "psi", "ks", "ks_p_value", "level",
//     "reason"}]}
//   DriftDecision: {"decision", "raise", "cleared", "streak", "reason"}
//   PerformanceFigures: {"rows", "accuracy", "roc_auc", "positive_rate"}
//   PerformanceComparison: {"estimated", "estimated_labelled", "realised"
//     (PerformanceFigures), "without_probabilities", "unmatched_feedback",
//     "mismatched_rows"}
// Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "mlpipe/monitor/drift_monitor.h"
#include "mlpipe/monitor/drift_window.h"
#include "mlpipe/monitor/performance_window.h"

namespace mlpipe::monitor {

nlohmann::json ToJson(const DriftWindow& window);
nlohmann::json ToJson(const DriftDecision& decision);
nlohmann::json ToJson(const PerformanceFigures& figures);
nlohmann::json ToJson(const PerformanceComparison& comparison);

}  // namespace mlpipe::monitor
