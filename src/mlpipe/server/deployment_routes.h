// The control plane's read routes for continuous delivery (docs/server-api.md):
//   GET /api/v1/deployments                    every deployment's current revision and active rollout
//   GET /api/v1/deployments/NAME               its revision, config, rollouts (newest first)
//   GET /api/v1/deployments/NAME/history       revisions and decision records, newest first (?limit=)
//   GET /api/v1/rollouts/ID                    one rollout and its decisions
//   GET /api/v1/decisions/ID                   one decision record with its numbers
// Changes go through `mlpipe deployments ...` and the rollout controller
// (POST /api/v1/rollouts/ID/rollback and /promote: control_routes.cc, which
// hands them to the controller on the server's loop thread).
#pragma once

#include <string>
#include <vector>

#include "mlpipe/metadata/deployment_store.h"
#include "mlpipe/server/api_query.h"
#include "mlpipe/serving/http_server.h"

namespace mlpipe::server {

// True if `parts` (the path's segments, "api", "v1", ...) named one of the
// routes above and `res` holds the answer.
bool HandleDeploymentRoute(metadata::DeploymentStore& store, const std::vector<std::string>& parts,
                           const QueryParams& query, const serving::HttpRequest& req,
                           serving::HttpResponse& res);

}  // namespace mlpipe::server
