// How deployments' revisions, rollouts and decision records read as JSON:
// `mlpipe deployments ... --json`, `mlpipe explain --json` and the server's
// /api/v1/deployments and /api/v1/decisions routes build them here, so the
// command line and the API never drift apart. The JSON-valued columns
// (config, policy, inputs, thresholds, statistics, baseline, min_p) appear as
// JSON, not as text.
#pragma once

#include <nlohmann/json.hpp>

#include "mlpipe/metadata/deployment_store.h"
#include "mlpipe/metadata/run_view.h"

namespace mlpipe::metadata {

nlohmann::json RevisionJson(const DeploymentRevision& r, TimeStyle style);
nlohmann::json RolloutJson(const Rollout& r, TimeStyle style);
nlohmann::json DecisionJson(const Decision& d, TimeStyle style);

}  // namespace mlpipe::metadata
