// What every DeploymentStore backend (SQLite, PostgreSQL) checks before it
// writes a record, and how it reads the model a revision served, so the two
// accept and answer the same.
#pragma once

#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/deployment_store.h"

namespace mlpipe::metadata {

// InvalidArgument unless the revision has a name, a model and a JSON object
// as its config.
Status ValidateRevision(const DeploymentRevision& r);
// InvalidArgument unless the rollout has a deployment, a model and a state,
// and its policy, baseline and min_p are JSON objects.
Status ValidateRollout(const Rollout& r);
// InvalidArgument unless the decision has a kind and a verdict, and its
// inputs, thresholds and statistics are JSON objects.
Status ValidateDecision(const Decision& d);

// The model a revision served: its config's "model" (a deployment may have
// changed model since), else `fallback` (the deployment's).
std::string RevisionModel(const std::string& config, std::string fallback);

}  // namespace mlpipe::metadata
