// How deployments' revisions, rollouts and decision records read as JSON:
// `mlpipe deployments ... --json`, `mlpipe explain --json` and the server's
// /api/v1/deployments and /api/v1/decisions routes build them here, so the
// command line and the API never drift apart. Times as `style` writes them,
// and in wall ns beside (`created_ns`, ...), as run_view.h does. The JSON-valued columns
// (config, policy, inputs, thresholds, statistics, baseline, min_p) appear as
// JSON, not as text.
#pragma once

#include <nlohmann/json.hpp>

#include "mlpipe/metadata/deployment_store.h"
#include "mlpipe/metadata/run_view.h"

namespace mlpipe::metadata {

// A stored JSON column's value; a text that does not parse comes back as a
// JSON string holding it (shown as it is, refused by any FromJson).
nlohmann::json StoredJson(const std::string& text);

nlohmann::json RevisionJson(const DeploymentRevision& r, TimeStyle style);
nlohmann::json RolloutJson(const Rollout& r, TimeStyle style);
nlohmann::json DecisionJson(const Decision& d, TimeStyle style);

}  // namespace mlpipe::metadata
