// Inside the record routes (api_routes.cc dispatches to these): one function
// per route, each answering `response` or returning an error Status that the
// dispatcher turns into the JSON error (api_error.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/server/api_query.h"
#include "mlpipe/server/api_routes.h"

namespace mlpipe::server {

// A request matched to a route: the path segments after /api/v1 and the query.
struct ApiCall {
  const serving::HttpRequest& http;
  std::vector<std::string> path;  // {"runs", "7", "logs", "train"}
  QueryParams query;
};

// 200 with `body` as JSON.
void SetJson(serving::HttpResponse& response, const nlohmann::json& body);
// A time as the API writes it: RFC 3339 UTC text, null for unset.
nlohmann::json ApiTime(int64_t wall_ns);
// An id from the path (of a run, a fire, a decision...): InvalidArgument
// "WHAT id must be a positive integer, not 'x'" unless a positive integer.
StatusOr<int64_t> PathId(const std::string& segment, std::string_view what);

// api_runs.cc
Status ListRuns(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response);
Status ShowRun(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response);
Status ShowExecution(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response);
// api_run_logs.cc
Status RunLog(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response);
// api_run_metrics.cc
Status RunMetricValues(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response);
Status RunMetricCurve(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response);
// api_artifacts.cc
Status ListArtifacts(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response);
Status ShowArtifact(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response);
Status ArtifactLineage(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response);
// api_artifact_content.cc
Status ArtifactContent(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response);
// api_models.cc
Status ListModels(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response);
Status ShowModel(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response);
Status ModelAliases(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response);
Status AliasHistory(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response);

}  // namespace mlpipe::server
