// GET /api/v1/models, /api/v1/models/{name}, .../aliases and
// .../aliases/{alias}/history: the model registry (docs/model-registry.md).
#include <fmt/format.h>

#include <map>

#include "mlpipe/base/strings.h"
#include "mlpipe/server/api_handlers.h"

namespace mlpipe::server {
namespace {

using nlohmann::json;

json ModelVersionJson(const metadata::ModelVersion& v, const std::vector<std::string>& aliases) {
  json metrics = json::parse(v.metrics_json, nullptr, false);
  return {{"name", v.name},
          {"version", v.version},
          {"label", v.Label()},
          {"ref", v.ref},
          {"source", v.source},
          {"run", v.run_id ? json(*v.run_id) : json()},
          {"execution", v.execution_id ? json(*v.execution_id) : json()},
          {"metrics", metrics.is_object() ? metrics : json::object()},
          {"aliases", aliases},
          {"created", ApiTime(v.created_ns)},
          {"created_ns", v.created_ns}};
}

json AliasJson(const metadata::ModelAlias& a) {
  return {{"alias", a.alias},
          {"version", a.version},
          {"updated", ApiTime(a.updated_ns)},
          {"updated_ns", a.updated_ns}};
}

json OptionalVersion(const std::optional<int64_t>& v) { return v ? json(*v) : json(); }

}  // namespace

Status ListModels(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response) {
  RETURN_IF_ERROR(call.query.CheckAllowed({}));
  ASSIGN_OR_RETURN(auto models, ctx.db->ListRegisteredModels());
  json list = json::array();
  for (const auto& m : models) {
    ASSIGN_OR_RETURN(auto d, ctx.db->GetRegisteredModel(m.name));
    json aliases = json::object();
    for (const auto& a : d.aliases) aliases[a.alias] = a.version;
    list.push_back({{"name", m.name},
                    {"description", m.description},
                    {"versions", d.versions.size()},
                    {"latest", d.versions.empty() ? json() : json(d.versions.back().version)},
                    {"aliases", aliases},
                    {"created", ApiTime(m.created_ns)},
                    {"created_ns", m.created_ns}});
  }
  SetJson(response, {{"models", std::move(list)}});
  return OkStatus();
}

Status ShowModel(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response) {
  RETURN_IF_ERROR(call.query.CheckAllowed({}));
  ASSIGN_OR_RETURN(auto d, ctx.db->GetRegisteredModel(call.path[1]));
  std::map<int64_t, std::vector<std::string>> aliases_of;
  json aliases = json::array();
  for (const auto& a : d.aliases) {
    aliases_of[a.version].push_back(a.alias);
    aliases.push_back(AliasJson(a));
  }
  json versions = json::array();
  for (const auto& v : d.versions) versions.push_back(ModelVersionJson(v, aliases_of[v.version]));
  SetJson(response, {{"name", d.model.name},
                     {"description", d.model.description},
                     {"created", ApiTime(d.model.created_ns)},
                     {"created_ns", d.model.created_ns},
                     {"versions", std::move(versions)},
                     {"aliases", std::move(aliases)}});
  return OkStatus();
}

Status ModelAliases(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response) {
  RETURN_IF_ERROR(call.query.CheckAllowed({}));
  ASSIGN_OR_RETURN(auto d, ctx.db->GetRegisteredModel(call.path[1]));
  json aliases = json::array();
  for (const auto& a : d.aliases) aliases.push_back(AliasJson(a));
  SetJson(response, {{"name", d.model.name}, {"aliases", std::move(aliases)}});
  return OkStatus();
}

// Every move of one alias, newest first; an alias deleted since keeps its
// history. NotFound for an alias that never existed.
Status AliasHistory(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response) {
  RETURN_IF_ERROR(call.query.CheckAllowed({}));
  const std::string& name = call.path[1];
  const std::string& alias = call.path[3];
  ASSIGN_OR_RETURN(auto d, ctx.db->GetRegisteredModel(name));
  ASSIGN_OR_RETURN(auto changes, ctx.db->AliasHistory(name, alias));
  if (changes.empty()) {
    std::vector<std::string> names;
    for (const auto& a : d.aliases) names.push_back(a.alias);
    return NotFoundError(fmt::format(
        "model '{}' has no alias '{}'{}", name, alias,
        names.empty() ? std::string(" (it has none)") : fmt::format(" (aliases: {})", Join(names, ", "))));
  }
  json history = json::array();
  for (const auto& c : changes) {
    history.push_back({{"id", c.id},
                       {"from", OptionalVersion(c.from_version)},
                       {"to", OptionalVersion(c.to_version)},
                       {"reason", c.reason},
                       {"changed", ApiTime(c.changed_ns)},
                       {"changed_ns", c.changed_ns}});
  }
  json current = json();
  for (const auto& a : d.aliases) {
    if (a.alias == alias) current = a.version;
  }
  SetJson(response,
          {{"name", d.model.name}, {"alias", alias}, {"version", current}, {"history", std::move(history)}});
  return OkStatus();
}

}  // namespace mlpipe::server
