#include "mlpipe/server/deployment_routes.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "mlpipe/metadata/deployment_view.h"
#include "mlpipe/server/api_error.h"
#include "mlpipe/server/api_handlers.h"

namespace mlpipe::server {
namespace {

using json = nlohmann::json;
using metadata::TimeStyle;
constexpr TimeStyle kStyle = TimeStyle::kRfc3339;

StatusOr<json> Deployment(metadata::DeploymentStore& store, const std::string& name) {
  ASSIGN_OR_RETURN(metadata::DeploymentRevision rev, store.GetDeployment(name));
  json j = metadata::RevisionJson(rev, kStyle);
  ASSIGN_OR_RETURN(std::vector<metadata::Rollout> rollouts, store.ListRollouts(name, false));
  json list = json::array();
  for (const auto& r : rollouts) list.push_back(metadata::RolloutJson(r, kStyle));
  j["rollouts"] = list;
  return j;
}

StatusOr<json> History(metadata::DeploymentStore& store, const std::string& name, int64_t limit) {
  ASSIGN_OR_RETURN(std::vector<metadata::DeploymentRevision> revisions, store.Revisions(name));
  ASSIGN_OR_RETURN(std::vector<metadata::Decision> decisions,
                   store.ListDecisions({.deployment = name, .limit = static_cast<int>(limit)}));
  // Both newest first, merged by time.
  std::vector<std::pair<int64_t, json>> items;
  for (const auto& r : revisions)
    items.emplace_back(r.created_ns, json{{"revision", metadata::RevisionJson(r, kStyle)}});
  for (const auto& d : decisions)
    items.emplace_back(d.time_ns, json{{"decision", metadata::DecisionJson(d, kStyle)}});
  std::stable_sort(items.begin(), items.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  json out = json::array();
  for (auto& [t, item] : items) {
    if (static_cast<int64_t>(out.size()) >= limit) break;
    out.push_back(std::move(item));
  }
  return json{{"deployment", name}, {"history", out}};
}

}  // namespace

bool HandleDeploymentRoute(metadata::DeploymentStore& store, const std::vector<std::string>& parts,
                           const QueryParams& query, const serving::HttpRequest& req,
                           serving::HttpResponse& res) {
  const size_t n = parts.size();
  if (n < 3 || (parts[2] != "deployments" && parts[2] != "decisions" && parts[2] != "rollouts")) return false;
  if (req.method != "GET") {
    SetApiError(
        res, 405, "method_not_allowed",
        fmt::format("{} {} is not a route; use GET (changes: mlpipe deployments ...)", req.method, req.path));
    res.headers.emplace_back("Allow", "GET");
    return true;
  }
  auto answer = [&](const StatusOr<json>& j) {
    if (j.ok()) return SetJson(res, *j);
    SetApiError(res, j.status());
  };
  if (parts[2] == "deployments" && n == 3) {
    if (Status s = query.CheckAllowed({}); !s.ok()) return SetApiError(res, s), true;
    auto all = store.ListDeployments();
    if (!all.ok()) return SetApiError(res, all.status()), true;
    json list = json::array();
    for (const auto& rev : *all) {
      json j = metadata::RevisionJson(rev, kStyle);
      auto active = store.ListRollouts(rev.name, true);
      j["active_rollout"] =
          active.ok() && !active->empty() ? metadata::RolloutJson(active->front(), kStyle) : json();
      list.push_back(std::move(j));
    }
    SetJson(res, {{"deployments", list}});
    return true;
  }
  if (parts[2] == "deployments" && n == 4) {
    if (Status s = query.CheckAllowed({}); !s.ok()) return SetApiError(res, s), true;
    answer(Deployment(store, parts[3]));
    return true;
  }
  if (parts[2] == "deployments" && n == 5 && parts[4] == "history") {
    if (Status s = query.CheckAllowed({"limit"}); !s.ok()) return SetApiError(res, s), true;
    auto limit = query.Int("limit", 100, 1, 10000);
    if (!limit.ok()) return SetApiError(res, limit.status()), true;
    answer(History(store, parts[3], *limit));
    return true;
  }
  if (parts[2] == "decisions" && n == 4) {
    auto id = PathId(parts[3], "decision");
    if (!id.ok()) return SetApiError(res, id.status()), true;
    auto d = store.GetDecision(*id);
    answer(d.ok() ? StatusOr<json>(metadata::DecisionJson(*d, kStyle)) : StatusOr<json>(d.status()));
    return true;
  }
  if (parts[2] == "rollouts" && n == 4) {
    auto id = PathId(parts[3], "rollout");
    if (!id.ok()) return SetApiError(res, id.status()), true;
    auto r = store.GetRollout(*id);
    if (!r.ok()) return SetApiError(res, r.status()), true;
    json j = metadata::RolloutJson(*r, kStyle);
    auto decisions = store.ListDecisions({.rollout_id = *id, .limit = 1000});
    if (!decisions.ok()) return SetApiError(res, decisions.status()), true;
    json list = json::array();
    for (const auto& d : *decisions) list.push_back(metadata::DecisionJson(d, kStyle));
    j["decisions"] = list;
    SetJson(res, j);
    return true;
  }
  SetApiError(res, 404, "not_found", fmt::format("no route {} {}", req.method, req.path));
  return true;
}

}  // namespace mlpipe::server
