#include "mlpipe/server/api_routes.h"

#include <fmt/format.h>

#include <charconv>

#include "mlpipe/metadata/run_view.h"
#include "mlpipe/server/api_error.h"
#include "mlpipe/server/api_handlers.h"

namespace mlpipe::server {
namespace {

using Handler = Status (*)(ApiContext&, const ApiCall&, serving::HttpResponse&);

// The route a path (after /api/v1) names, matched on its shape: a segment
// "*" stands for any one segment (an id, a ref, a name). nullptr if none.
Handler Route(const std::vector<std::string>& p) {
  struct Entry {
    std::vector<std::string_view> shape;
    Handler handler;
  };
  static const std::vector<Entry> kRoutes = {
      {{"runs"}, ListRuns},
      {{"runs", "*"}, ShowRun},
      {{"runs", "*", "logs", "*"}, RunLog},
      {{"runs", "*", "metrics"}, RunMetricValues},
      {{"runs", "*", "metrics", "*"}, RunMetricCurve},
      {{"executions", "*"}, ShowExecution},
      {{"artifacts"}, ListArtifacts},
      {{"artifacts", "*"}, ShowArtifact},
      {{"artifacts", "*", "content"}, ArtifactContent},
      {{"artifacts", "*", "lineage"}, ArtifactLineage},
      {{"models"}, ListModels},
      {{"models", "*"}, ShowModel},
      {{"models", "*", "aliases"}, ModelAliases},
      {{"models", "*", "aliases", "*", "history"}, AliasHistory},
  };
  for (const Entry& e : kRoutes) {
    if (e.shape.size() != p.size()) continue;
    bool match = true;
    for (size_t i = 0; i < p.size() && match; ++i) match = e.shape[i] == "*" || e.shape[i] == p[i];
    if (match) return e.handler;
  }
  return nullptr;
}

}  // namespace

void SetJson(serving::HttpResponse& response, const nlohmann::json& body) {
  response.status = 200;
  response.content_type = "application/json";
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json ApiTime(int64_t wall_ns) { return metadata::TimeJson(wall_ns, metadata::TimeStyle::kRfc3339); }

StatusOr<int64_t> PathId(const std::string& segment, std::string_view what) {
  int64_t id = 0;
  const char* end = segment.data() + segment.size();
  auto [ptr, ec] = std::from_chars(segment.data(), end, id);
  if (segment.empty() || ec != std::errc() || ptr != end || id <= 0) {
    return InvalidArgumentError(fmt::format("{} id must be a positive integer, not '{}'", what, segment));
  }
  return id;
}

bool HandleRecordRoute(ApiContext& ctx, const serving::HttpRequest& request,
                       serving::HttpResponse& response) {
  auto segments = PathSegments(request.target);
  if (!segments.ok()) {
    // Not decodable, so not matchable: answered only if it is under /api/v1.
    if (request.path.rfind("/api/v1/", 0) != 0) return false;
    SetApiError(response, segments.status());
    return true;
  }
  if (segments->size() < 3 || (*segments)[0] != "api" || (*segments)[1] != "v1") return false;
  std::vector<std::string> path(segments->begin() + 2, segments->end());
  Handler handler = Route(path);
  if (!handler) return false;
  if (request.method != "GET") {
    response.headers.emplace_back("Allow", "GET, HEAD");
    SetApiError(
        response, 405, "method_not_allowed",
        fmt::format("{} is not allowed on {}: the record is read-only (GET)", request.method, request.path));
    return true;
  }
  auto query = QueryParams::FromTarget(request.target);
  if (!query.ok()) {
    SetApiError(response, query.status());
    return true;
  }
  ApiCall call{request, std::move(path), std::move(*query)};
  Status s = handler(ctx, call, response);
  if (!s.ok()) {
    response.headers.clear();
    SetApiError(response, s);
  }
  return true;
}

}  // namespace mlpipe::server
