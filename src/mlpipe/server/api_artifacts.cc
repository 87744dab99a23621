// GET /api/v1/artifacts, /api/v1/artifacts/{ref} and .../lineage. A ref is
// "sha256:<hex>", "NAME:vN" or "NAME" (its latest version), URL-encoded as
// one path segment.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "mlpipe/base/clock.h"
#include "mlpipe/engine/lineage.h"
#include "mlpipe/engine/object_integrity.h"
#include "mlpipe/metadata/artifact_view.h"
#include "mlpipe/server/api_artifact_store.h"
#include "mlpipe/server/api_handlers.h"

namespace mlpipe::server {
namespace {

using nlohmann::json;

constexpr int64_t kDefaultArtifactsLimit = 100;
constexpr int64_t kMaxArtifactsLimit = 1000;

json VersionJson(metadata::MetadataStore& db, const metadata::ArtifactVersion& v) {
  return {{"name", v.name},
          {"version", v.version},
          {"label", v.Label()},
          {"ref", v.ref},
          {"created", ApiTime(v.created_ns)},
          {"created_ns", v.created_ns},
          {"producer", metadata::ProducerJson(db, v.execution_id)}};
}

// A cursor names the last version of a page: its label, hex-encoded so that
// it travels in a query string as it is.
std::string EncodeCursor(const std::string& label) {
  std::string out;
  for (unsigned char c : label) out += fmt::format("{:02x}", c);
  return out;
}

StatusOr<std::string> DecodeCursor(const std::string& cursor) {
  std::string out;
  auto hex = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
  for (size_t i = 0; i + 1 < cursor.size(); i += 2) {
    const int hi = hex(cursor[i]), lo = hex(cursor[i + 1]);
    if (hi < 0 || lo < 0) break;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  if (cursor.empty() || out.size() * 2 != cursor.size()) {
    return InvalidArgumentError(fmt::format(
        "parameter 'cursor' is not a cursor this server gave ('{}'): pass next_cursor as it came", cursor));
  }
  return out;
}

// Graph form of an engine::BuildLineage tree: every artifact and execution
// once as a node, and edges in the direction data flows (artifact ->
// execution that read it -> artifact it wrote), whichever way the walk went.
void AddGraph(const json& artifact, bool downstream, json& nodes, json& edges,
              std::set<std::string>& seen_nodes, std::set<std::string>& seen_edges) {
  const std::string aid = artifact["ref"].get<std::string>();
  if (seen_nodes.insert(aid).second) {
    nodes.push_back({{"id", aid},
                     {"kind", "artifact"},
                     {"ref", aid},
                     {"label", artifact["label"]},
                     {"type", artifact["type"]}});
  }
  auto edge = [&](const std::string& from, const std::string& to, const json& as) {
    if (seen_edges.insert(from + " " + to).second) edges.push_back({{"from", from}, {"to", to}, {"as", as}});
  };
  for (const json& e : artifact["by"]) {
    const std::string eid = fmt::format("execution:{}", e["execution"].get<int64_t>());
    if (seen_nodes.insert(eid).second) {
      nodes.push_back({{"id", eid},
                       {"kind", "execution"},
                       {"execution", e["execution"]},
                       {"run", e["run"]},
                       {"step", e["step"]},
                       {"status", e["status"]}});
    }
    downstream ? edge(aid, eid, json()) : edge(eid, aid, json());
    for (const json& child : e["artifacts"]) {
      const std::string cid = child["ref"].get<std::string>();
      downstream ? edge(eid, cid, child.value("as", json())) : edge(cid, eid, child.value("as", json()));
      AddGraph(child, downstream, nodes, edges, seen_nodes, seen_edges);
    }
  }
}

}  // namespace

Status ListArtifacts(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response) {
  RETURN_IF_ERROR(call.query.CheckAllowed({"prefix", "limit", "cursor"}));
  ASSIGN_OR_RETURN(const std::string prefix, call.query.Text("prefix", ""));
  ASSIGN_OR_RETURN(const int64_t limit,
                   call.query.Int("limit", kDefaultArtifactsLimit, 1, kMaxArtifactsLimit));
  ASSIGN_OR_RETURN(auto cursor, call.query.One("cursor"));
  std::string after;
  if (cursor) {
    ASSIGN_OR_RETURN(after, DecodeCursor(*cursor));
  }
  // By name, then version (the store's order): a version added to a name
  // sorts after the versions already seen, so pages neither skip nor repeat.
  ASSIGN_OR_RETURN(auto versions, ctx.db->ListArtifactVersions(prefix));
  auto first = versions.begin();
  if (!after.empty()) {
    const size_t colon = after.rfind(":v");
    const std::string name = after.substr(0, colon);
    const int64_t version = colon == std::string::npos ? 0 : std::atoll(after.c_str() + colon + 2);
    first = std::find_if(versions.begin(), versions.end(), [&](const metadata::ArtifactVersion& v) {
      return v.name > name || (v.name == name && v.version > version);
    });
  }
  json list = json::array();
  json next = json();
  for (auto it = first; it != versions.end(); ++it) {
    if (list.size() == static_cast<size_t>(limit)) {
      next = EncodeCursor(std::prev(it)->Label());
      break;
    }
    ASSIGN_OR_RETURN(auto a, ctx.db->GetArtifact(it->ref));
    json j = VersionJson(*ctx.db, *it);
    j["type"] = a.type;
    j["size"] = a.size;
    j["is_dir"] = a.is_dir;
    list.push_back(std::move(j));
  }
  SetJson(response, {{"artifacts", std::move(list)}, {"next_cursor", next}});
  return OkStatus();
}

Status ShowArtifact(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response) {
  RETURN_IF_ERROR(call.query.CheckAllowed({}));
  ASSIGN_OR_RETURN(auto resolved, ctx.db->ResolveArtifact(call.path[1]));
  const metadata::Artifact& a = resolved.artifact;
  ASSIGN_OR_RETURN(auto objects, OpenObjects(ctx));
  const bool stored = objects->Contains(a.ref);
  ASSIGN_OR_RETURN(auto names, ctx.db->VersionsOf(a.ref));
  json versions = json::array();
  for (const auto& v : names) versions.push_back(VersionJson(*ctx.db, v));
  ASSIGN_OR_RETURN(auto models, ctx.db->ModelVersionsOf(a.ref));
  json model_versions = json::array();
  for (const auto& m : models) {
    model_versions.push_back({{"name", m.name}, {"version", m.version}, {"label", m.Label()}});
  }
  ASSIGN_OR_RETURN(json consumers, metadata::ConsumersJson(*ctx.db, a.ref));
  json absent = json();
  if (!stored) {
    ASSIGN_OR_RETURN(auto removal, ctx.db->LastObjectRemoval(a.ref));
    absent = {{"why", engine::WhyAbsent(*ctx.db, *objects, a.ref)}, {"removal", json()}};
    if (removal) {
      absent["removal"] = {{"reason", removal->reason},
                           {"detail", removal->detail},
                           {"removed", ApiTime(removal->removed_ns)},
                           {"removed_ns", removal->removed_ns}};
    }
  }
  json body = {{"ref", a.ref},
               {"label", resolved.version ? json(resolved.version->Label()) : json()},
               {"type", a.type},
               {"size", a.size},
               {"is_dir", a.is_dir},
               {"created", ApiTime(a.created_ns)},
               {"created_ns", a.created_ns},
               {"stored", stored},
               {"absent", absent},
               {"producer",
                resolved.version ? metadata::ProducerJson(*ctx.db, resolved.version->execution_id) : json()},
               {"versions", std::move(versions)},
               {"models", std::move(model_versions)},
               {"consumers", std::move(consumers)}};
  SetJson(response, body);
  return OkStatus();
}

Status ArtifactLineage(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response) {
  RETURN_IF_ERROR(call.query.CheckAllowed({"direction", "depth"}));
  ASSIGN_OR_RETURN(const std::string direction, call.query.Choice("direction", "up", {"up", "down"}));
  ASSIGN_OR_RETURN(const int64_t depth, call.query.Int("depth", 0, 0, 1000));
  ASSIGN_OR_RETURN(auto resolved, ctx.db->ResolveArtifact(call.path[1]));
  const std::string label = resolved.version ? resolved.version->Label() : resolved.artifact.ref;
  const bool down = direction == "down";
  ASSIGN_OR_RETURN(
      json tree, engine::BuildLineage(*ctx.db, resolved.artifact.ref, label, down, static_cast<int>(depth)));
  json nodes = json::array();
  json edges = json::array();
  std::set<std::string> seen_nodes, seen_edges;
  AddGraph(tree, down, nodes, edges, seen_nodes, seen_edges);
  SetJson(response, {{"root", resolved.artifact.ref},
                     {"label", label},
                     {"direction", direction},
                     {"depth", depth},
                     {"nodes", std::move(nodes)},
                     {"edges", std::move(edges)},
                     {"tree", std::move(tree)}});
  return OkStatus();
}

}  // namespace mlpipe::server
